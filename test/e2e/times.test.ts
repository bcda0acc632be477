// Times in the reader's zone, end to end: Ann in New York asks for help on
// Tuesday 9:00–11:00; Bea can help Tuesdays 8:00–12:00. Ann reads "who could
// help" in New York time; the same Ann on a phone set to Madrid, and Bea in
// Madrid, read the same instants in Madrid time; Bea's weekly times, edited
// from Madrid, stay the New York times she wrote. The reasons are written
// by the app in the reader's language and clock, Spanish included.
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { DateTime } from 'luxon';
import { apiClient, axe, e2eSession, shot } from './browser';

const NY = 'America/New_York';
const MADRID = 'Europe/Madrid';
// The next Tuesday after today in New York, whatever day the test runs.
const tuesday = (() => {
  let d = DateTime.now().setZone(NY).startOf('day').plus({ days: 1 });
  while (d.weekday !== 2) {
    d = d.plus({ days: 1 });
  }
  return d;
})();
const need = { start: tuesday.set({ hour: 9 }), end: tuesday.set({ hour: 11 }) };
const offer = { start: tuesday.set({ hour: 8 }), end: tuesday.set({ hour: 12 }) };
const HERE = { lat: 40.6694, lng: -73.9422 };

const e2e = e2eSession();

/** A phone in `timezoneId`, signed in with `cookies` if given. */
async function phoneIn(timezoneId: string, cookies: Parameters<BrowserContext['addCookies']>[0] = []): Promise<Page> {
  const context = await e2e.phone({ timezoneId });
  await context.addCookies(cookies);
  return context.newPage();
}

/** The reason that speaks of times, on a post page of one's own, once candidates are shown. */
async function timeReason(page: Page): Promise<string> {
  const reason = page.locator('ul.reasons li').filter({ hasText: /^(free|needs|disponible|lo necesita) / });
  await reason.first().waitFor();
  return (await reason.first().textContent())!.replace(/[\u2009\u202f\u00a0]/g, ' ');
}

/** The post's windows as its page lists them, spaces made plain (Intl uses narrow ones). */
async function windows(page: Page): Promise<string> {
  const item = page.locator('article.post ul li').first();
  await item.waitFor();
  return (await item.textContent())!.replace(/[\u2009\u202f]/g, ' ');
}

/** "9:00 – 11:00 AM" (or "10:00 AM – 12:00 PM") of an interval in `zone`, as en-US writes a range. */
function range(i: { start: DateTime; end: DateTime }, zone: string): RegExp {
  const [s, e] = [i.start.setZone(zone), i.end.setZone(zone)];
  const sameHalf = s.toFormat('a') === e.toFormat('a');
  return new RegExp(`${s.toFormat('h:mm')}${sameHalf ? '' : ` ${s.toFormat('a')}`}\\s*–\\s*${e.toFormat('h:mm')} ${e.toFormat('a')}`);
}

/** "Tue, 9:00 AM – 12:00 PM" as en-US writes a window with its day ("mar, 15:00–18:00" in Spanish). */
function dayRange(i: { start: DateTime; end: DateTime }, zone: string, locale = 'en'): string {
  const day = i.start.setZone(zone).setLocale(locale).toFormat('ccc').replace('.', '\\.?');
  return `${day},? ${locale === 'en' ? range(i, zone).source : `${hhmm(i.start, zone)}\\s*–\\s*${hhmm(i.end, zone)}`}`;
}

/** A time reason as the reader's app writes it: theirs with the day, then one's own. */
function timeText(viewer: 'need' | 'offer', zone: string): RegExp {
  const [theirs, yours] = viewer === 'need' ? [offer, need] : [need, offer];
  return new RegExp(`^${viewer === 'need' ? 'free' : 'needs'} ${dayRange(theirs, zone)}; ${viewer === 'need' ? 'you need' : 'you are free'} ${range(yours, zone).source}$`);
}

const hhmm = (t: DateTime, zone: string) => t.setZone(zone).toFormat('HH:mm');

describe('times in the reader’s zone', () => {
  it('the author of a New York need reads 9:00–11:00 in its candidates; in Madrid, she and the helper read Madrid time', async () => {
    // Bea can help Tuesdays 8:00–12:00 New York time.
    const bea = apiClient(e2e.server.url);
    await bea.call('POST', '/api/auth/signup', { email: `bea-${Date.now()}@example.org`, password: 'correct horse battery', displayName: 'Bea' });
    const { post: beaOffer } = await bea.call<{ post: { id: string } }>('POST', '/api/posts', {
      kind: 'offer', category: 'errand', title: 'Errands on Tuesday mornings', location: HERE, radiusM: 3000, capacity: 1, details: {},
      windows: [], recurrence: { days: ['tue'], startTime: '08:00', endTime: '12:00', timezone: NY },
    });

    // Ann, on a phone in New York, asks for help on Tuesday 9:00–11:00 through the form.
    const ann = await phoneIn(NY);
    await ann.goto(`${e2e.server.url}/?lat=${HERE.lat}&lng=${HERE.lng}&zoom=15`);
    await ann.getByRole('button', { name: 'Sign in' }).click();
    const dialog = ann.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Create an account' }).click();
    await dialog.getByLabel('Your name').fill('Ann');
    await dialog.getByLabel('Email').fill(`ann-${Date.now()}@example.org`);
    await dialog.getByLabel('Password').fill('correct horse battery');
    await dialog.getByRole('button', { name: 'Create an account' }).click();
    await ann.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    await ann.getByRole('link', { name: '+ Post a need or an offer' }).click();
    await ann.getByLabel('Ask for help').check();
    await ann.getByLabel('Category').selectOption('errand');
    await ann.getByLabel('Title').fill('Help at the pharmacy');
    await ann.getByRole('button', { name: 'Use the map’s center' }).click();
    await ann.getByRole('textbox', { name: 'Date', exact: true }).fill(tuesday.toISODate()!);
    await ann.getByLabel('From', { exact: true }).fill('09:00');
    await ann.getByLabel('To', { exact: true }).fill('11:00');
    await ann.getByRole('button', { name: 'Publish' }).click();
    await ann.getByRole('heading', { name: 'Help at the pharmacy' }).waitFor();
    const needId = new URL(ann.url()).pathname.split('/').at(-1)!;

    // The form writes the time with Ann's offset, not as UTC: the post keeps the zone it was written in.
    const { post } = await apiClient(e2e.server.url).call<{ post: { windows: { start: string; end: string }[] } }>('GET', `/api/posts/${needId}`);
    expect(post.windows).toEqual([{ start: need.start.toISO({ suppressMilliseconds: true, includeOffset: true }), end: need.end.toISO({ suppressMilliseconds: true }) }]);

    // Who could help, in New York time: the same 9:00–11:00 she wrote.
    // On her own clock and in her words (en-US: 12-hour times), as every other time in the app.
    expect(await timeReason(ann)).toMatch(timeText('need', NY));
    expect(await timeReason(ann)).toMatch(/^free Tue,? 8:00 AM – 12:00 PM; you need 9:00 – 11:00 AM$/);
    expect(await windows(ann)).toMatch(range(need, NY));
    expect(await axe(ann)).toEqual([]);
    await shot(ann, 'times-ann-new-york');

    // Ann, travelling, opens it on a phone set to Madrid: the same instants, Madrid's clock.
    const annAway = await phoneIn(MADRID, await ann.context().cookies());
    await annAway.goto(`${e2e.server.url}/posts/${needId}`);
    expect(await timeReason(annAway)).toMatch(timeText('need', MADRID));
    expect(await windows(annAway)).toMatch(range(need, MADRID));
    await shot(annAway, 'times-ann-madrid');

    // Bea, in Madrid, reads her offer's candidates in Madrid time too.
    const beaPhone = await phoneIn(MADRID, [{ name: bea.cookie().split('=')[0]!, value: bea.cookie().split('=').slice(1).join('='), url: e2e.server.url }]);
    await beaPhone.goto(`${e2e.server.url}/posts/${beaOffer.id}`);
    expect(await timeReason(beaPhone)).toMatch(timeText('offer', MADRID));
    expect(await windows(beaPhone)).toMatch(range(offer, MADRID));
    await shot(beaPhone, 'times-bea-madrid');

    // Editing her weekly times from Madrid, Bea sees them as written (New York's 8:00–12:00, said so), and saving keeps them there.
    await beaPhone.getByRole('link', { name: 'Edit this post' }).click();
    await beaPhone.getByText(`These times are in ${NY}`).waitFor();
    expect(await beaPhone.getByLabel('From', { exact: true }).inputValue()).toBe('08:00');
    expect(await axe(beaPhone)).toEqual([]);
    await beaPhone.getByRole('button', { name: 'Save changes' }).click();
    await beaPhone.getByRole('heading', { name: 'Errands on Tuesday mornings' }).waitFor();
    const saved = await bea.call<{ post: { recurrence: { timezone: string; startTime: string } } }>('GET', `/api/posts/${beaOffer.id}`);
    expect(saved.post.recurrence).toMatchObject({ timezone: NY, startTime: '08:00' });
    expect(await timeReason(beaPhone)).toMatch(timeText('offer', MADRID));

    // Ann's phone in Spanish: the reasons in Spanish too, on a 24-hour clock (they came from the server in English).
    const annEs = await (await e2e.phone({ timezoneId: MADRID, locale: 'es-ES' })).newPage();
    await annEs.context().addCookies(await ann.context().cookies());
    await annEs.goto(`${e2e.server.url}/posts/${needId}`);
    expect(await timeReason(annEs)).toMatch(
      new RegExp(`^disponible ${dayRange(offer, MADRID, 'es')}; necesitas ${hhmm(need.start, MADRID)}\\s*–\\s*${hhmm(need.end, MADRID)}$`),
    );
    const reasons = (await annEs.locator('ul.reasons li').allTextContents()).join(' | ');
    expect(reasons).toMatch(/^a (menos de 100 m|\d+ m|\d+(,\d+)? km) \| disponible /);
    expect(reasons).not.toMatch(/away|free|you need/);
    expect(await axe(annEs)).toEqual([]);
    await shot(annEs, 'times-ann-spanish-reasons');
  });
});
