// A match's messages on a phone (issue 16, item 9): the box to write in is
// in the page's font and big enough for a few lines; each message says when
// it was written, on the reader's clock; and Send stays in sight when the
// on-screen keyboard takes the lower part of the screen (the page shrinks
// for it: index.html's interactive-widget). Screenshots: chat-*.png.
import { describe, expect, it } from 'vitest';
import { apiClient, axe, e2eSession, PHONE, shot, type PageDocument, signInPhone } from './browser';

// page.evaluate's functions run in the page; its document, typed in browser.ts.
declare const document: PageDocument;
declare function getComputedStyle(element: unknown): { fontFamily: string };

const e2e = e2eSession();
const PASSWORD = 'correct horse battery';
const AT = { lat: 40.6694, lng: -73.9422 };
const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
/** The reader's phone is in Madrid, the posts' authors' clocks in New York: times must follow the reader. */
const READER_ZONE = 'Europe/Madrid';

async function person(name: string) {
  const api = apiClient(e2e.server.url);
  await api.call('POST', '/api/auth/signup', { email: `${name.toLowerCase()}-${Date.now()}@example.org`, password: PASSWORD, displayName: name });
  return api;
}

describe('a match’s messages', () => {
  it('read in the page’s font, each with its time on the reader’s clock, and Send stays in sight with the keyboard open', async () => {
    const ana = await person('Ana');
    const ben = await person('Ben');
    const window = { start: hours(30), end: hours(32) };
    const need = (await ana.call<{ post: { id: string } }>('POST', '/api/posts', { kind: 'need', category: 'errand', title: 'Carry a sofa upstairs', location: AT, radiusM: 3000, windows: [window], capacity: 1, details: {} })).post.id;
    const offer = (await ben.call<{ post: { id: string } }>('POST', '/api/posts', { kind: 'offer', category: 'errand', title: 'Strong arms on weekends', location: AT, radiusM: 3000, windows: [window], capacity: 1, details: {} })).post.id;
    const { match } = await ben.call<{ match: { id: string } }>('POST', '/api/matches', { needId: need, offerId: offer, message: 'I can come with a friend.' });
    for (let i = 0; i < 8; i++) {
      await (i % 2 ? ben : ana).call('POST', `/api/matches/${match.id}/messages`, { body: `Message number ${i + 1}, long enough to take a line or two on a phone's screen.` });
    }
    const { items } = await ana.call<{ items: { body: string; createdAt: string }[] }>('GET', `/api/matches/${match.id}/messages`);

    const context = await e2e.phone({ timezoneId: READER_ZONE });
    const cookie = ana.cookie();
    await signInPhone(context, cookie, e2e.server.url);
    const page = await context.newPage();
    await page.goto(`${e2e.server.url}/matches/${match.id}`);
    await page.getByText('I can come with a friend.').waitFor();

    // Each message: its author and when, as the reader's clock (Madrid) gives it.
    const times = page.locator('.thread li time');
    expect(await times.count()).toBe(items.length);
    const first = items[0]!;
    expect(await times.first().getAttribute('datetime')).toBe(first.createdAt);
    const madrid = new Intl.DateTimeFormat('en-US', { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit', timeZone: READER_ZONE }).format(new Date(first.createdAt));
    expect((await times.first().textContent())!.replace(/\s/g, ' ')).toBe(madrid.replace(/\s/g, ' '));

    // The box: the page's font, not a monospace one, and room for three lines or more.
    const box = page.getByRole('textbox', { name: 'Write a message' });
    const look = await box.evaluate((el) => ({ font: getComputedStyle(el).fontFamily, page: getComputedStyle(document.body).fontFamily, height: el.getBoundingClientRect().height, width: el.getBoundingClientRect().width }));
    expect(look.font).toBe(look.page);
    expect(look.font).not.toMatch(/mono/i);
    expect(look.height).toBeGreaterThanOrEqual(70);
    expect(look.width).toBeGreaterThan(PHONE.width * 0.6);
    expect(await axe(page), 'the match page with its thread').toEqual([]);
    await shot(page, 'chat-thread');

    // The keyboard opens: the page shrinks to what is left above it (resizes-content), and Send is in sight, not covered.
    await box.focus();
    await box.fill('On my way');
    await page.setViewportSize({ width: PHONE.width, height: 460 });
    const send = page.getByRole('button', { name: 'Send' });
    const at = (await send.boundingBox())!;
    expect(at.y).toBeGreaterThanOrEqual(0);
    expect(at.y + at.height).toBeLessThanOrEqual(460);
    const onTop = await page.evaluate(([x, y]) => document.elementFromPoint(x!, y!)?.closest('button')?.textContent?.trim(), [at.x + at.width / 2, at.y + at.height / 2]);
    expect(onTop).toBe('Send');
    await shot(page, 'chat-keyboard-open');
    await send.click();
    await page.locator('.thread li', { hasText: 'On my way' }).waitFor();
    expect(await box.inputValue()).toBe('');
  });
});
