// The match page on phones (issue 16): the person who must answer a
// proposal is asked, by name, with the date it is for; the proposer is told
// whom they wait for; both lists of matches say the same, with the date.
// Accepting tells the proposer, not the one who accepted. "Mark as done"
// waits until the occasion has started, and then asks before closing the
// match for both. Screenshots go to
// test/e2e/artifacts (match-*.png).
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { apiClient, axe, e2eSession, shot, signInPhone } from './browser';

const e2e = e2eSession();
const PASSWORD = 'correct horse battery';
const AT = { lat: 40.6694, lng: -73.9422 };
const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

/** axe-core finds no serious or critical WCAG A/AA violation on what the page shows now. */
async function accessible(page: Page, where: string): Promise<void> {
  expect(await axe(page), where).toEqual([]);
}

/** A person made through the API, who posts errands at AT in the windows given. */
async function person(name: string) {
  const api = apiClient(e2e.server.url);
  const email = `${name.toLowerCase()}-${Date.now()}@example.org`;
  const { user } = await api.call<{ user: { id: string } }>('POST', '/api/auth/signup', { email, password: PASSWORD, displayName: name });
  const post = async (kind: 'need' | 'offer', title: string, window: { start: string; end: string }) =>
    (await api.call<{ post: { id: string } }>('POST', '/api/posts', { kind, category: 'errand', title, location: AT, radiusM: 3000, windows: [window], capacity: 1, details: {} })).post.id;
  return { api, id: user.id, post };
}

/** A phone signed in as `who`, opened at `path`. */
async function phoneOf(who: { api: ReturnType<typeof apiClient> }, path: string): Promise<Page> {
  const context = await e2e.phone();
  const cookie = who.api.cookie();
  await signInPhone(context, cookie, e2e.server.url);
  const page = await context.newPage();
  await page.goto(`${e2e.server.url}${path}`);
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
  return page;
}

/** "Saturday, December 5" and "4:00" as the phone (New York) writes the start; spaces as ICU's may differ. */
function dayAndTime(iso: string): { day: string; time: string } {
  const zone = { timeZone: 'America/New_York' } as const;
  return {
    day: new Intl.DateTimeFormat('en-US', { ...zone, weekday: 'long', month: 'long', day: 'numeric' }).format(new Date(iso)),
    time: new Intl.DateTimeFormat('en-US', { ...zone, hour: 'numeric', minute: '2-digit' }).format(new Date(iso)).replace(/\s?[AP]M$/, ''),
  };
}

const headline = (page: Page) => page.locator('#match-headline');
const notice = (page: Page, text: string) => page.locator('.notices').getByRole('link', { name: text });

describe('the match page', () => {
  it('asks the one who must answer, with the date; tells only the proposer of the acceptance; marks done only once started, after asking', async () => {
    const ann = await person('Ann');
    const bea = await person('Bea');
    // Tomorrow, 16:00–18:00 or so: not started yet.
    const later = { start: hours(26), end: hours(28) };
    const needId = await ann.post('need', 'Pick up my prescription', later);
    const offerId = await bea.post('offer', 'Errands by the pharmacy', later);
    const { match } = await bea.api.call<{ match: { id: string; startsAt: string } }>('POST', '/api/matches', { needId, offerId });
    expect(match.startsAt).toBe(new Date(later.start).toISOString());
    const { day, time } = dayAndTime(later.start);

    // The lists say whose turn it is and the date, before either opens the match.
    const short = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', weekday: 'short', month: 'short', day: 'numeric' }).format(new Date(later.start));
    const bList = await phoneOf(bea, '/matches');
    const bRow = bList.locator('.link-list li').filter({ hasText: 'Pick up my prescription' });
    await bRow.getByText(/Waiting for Ann to answer/).waitFor();
    expect(await bRow.textContent()).toContain(short);
    const aList = await phoneOf(ann, '/matches');
    const aRow = aList.locator('.link-list li').filter({ hasText: 'Errands by the pharmacy' });
    await aRow.getByText('Your answer is needed').waitFor();
    expect(await aRow.textContent()).toContain(short);
    expect(await aList.getByText(/Proposed, waiting/).count()).toBe(0);
    await accessible(aList, "the answerer's list of matches");
    await shot(aList, 'matches-list-your-answer');
    await Promise.all([bList.context().close(), aList.context().close()]);

    // Bea proposed: she is told whom she waits for, and may withdraw; she has nothing to answer.
    const b = await phoneOf(bea, `/matches/${match.id}`);
    await headline(b).filter({ hasText: 'Waiting for Ann to answer.' }).waitFor();
    expect(await b.getByRole('button', { name: 'Withdraw proposal' }).count()).toBe(1);
    expect(await b.getByRole('button', { name: 'Accept' }).count()).toBe(0);
    await accessible(b, "the proposer's match page");
    await shot(b, 'match-proposer-waits');

    // Ann must answer: who offered, for what, when; Accept first, Decline second, no Cancel beside them.
    const a = await phoneOf(ann, `/matches/${match.id}`);
    await headline(a).filter({ hasText: 'Bea offered to help with “Pick up my prescription”; will you accept?' }).waitFor();
    const when = (await a.getByText(/^When:/).textContent())!;
    expect(when).toContain(day);
    expect(when).toContain(time);
    const buttons = await a.locator('.state .actions button').allTextContents();
    expect(buttons).toEqual(['Accept', 'Decline']);
    expect(await a.getByRole('button', { name: 'Accept' }).getAttribute('class')).toContain('primary');
    expect(await a.getByRole('button', { name: /Cancel|Withdraw/ }).count()).toBe(0);
    // Not yet accepted: Bea's post shows at its approximate place only.
    expect(await a.getByText(/^Exact place/).count()).toBe(0);
    await accessible(a, "the answerer's match page");
    await shot(a, 'match-answerer-asked');

    await a.getByRole('button', { name: 'Accept' }).click();
    await headline(a).filter({ hasText: 'Agreed: Bea is helping with “Pick up my prescription”.' }).waitFor();
    // Bea's page follows live, and she is told; Ann, who accepted, is not.
    await headline(b).filter({ hasText: 'Agreed: you are helping Ann with “Pick up my prescription”.' }).waitFor({ timeout: 15_000 });
    await notice(b, 'Your match was accepted').waitFor({ timeout: 15_000 });
    // A later event (Bea's message) reaching Ann's page shows the acceptance's event has reached it too.
    await bea.api.call('POST', `/api/matches/${match.id}/messages`, { body: 'I will pick it up at four.' });
    await a.getByText('I will pick it up at four.').waitFor({ timeout: 15_000 });
    await notice(a, 'New message from Bea').waitFor();
    expect(await notice(a, 'Your match was accepted').count()).toBe(0);
    await shot(b, 'match-proposer-told');

    // Before it has started nobody can mark it done: the page says from when.
    await a.getByText(`You can mark it done once it has started, from ${day}`, { exact: false }).waitFor();
    expect(await a.getByRole('button', { name: 'Mark as done' }).count()).toBe(0);
    expect(await b.getByRole('button', { name: 'Mark as done' }).count()).toBe(0);
    expect(await a.getByText(/Settle the details in the messages below/).count()).toBe(1);
    await accessible(a, 'an accepted match before its time');
    await shot(a, 'match-accepted-not-yet');

    // A second errand, under way since an hour ago.
    const now = { start: hours(-1), end: hours(2) };
    const needNow = await ann.post('need', 'Carry groceries upstairs', now);
    const offerNow = await bea.post('offer', 'Strong arms this afternoon', now);
    const second = (await bea.api.call<{ match: { id: string } }>('POST', '/api/matches', { needId: needNow, offerId: offerNow })).match;
    await ann.api.call('POST', `/api/matches/${second.id}/accept`);
    await b.goto(`${e2e.server.url}/matches/${second.id}`);
    await headline(b).filter({ hasText: 'Agreed: you are helping Ann with “Carry groceries upstairs”.' }).waitFor();
    await a.goto(`${e2e.server.url}/matches/${second.id}`);
    await headline(a).filter({ hasText: 'Agreed: Bea is helping with “Carry groceries upstairs”.' }).waitFor();

    // Now it can be marked done, but not as the main button, and not without asking.
    const done = a.getByRole('button', { name: 'Mark as done' });
    await done.waitFor();
    expect(await done.getAttribute('class')).not.toContain('primary');
    await done.click();
    const question = a.getByRole('group', { name: /Mark as done for both of you\?/ });
    await question.waitFor();
    await accessible(a, 'the question before marking done');
    await shot(a, 'match-confirm-done');
    // "Not yet" leaves it as it was.
    await question.getByRole('button', { name: 'Not yet' }).click();
    await question.waitFor({ state: 'detached' });
    expect((await ann.api.call<{ match: { status: string } }>('GET', `/api/matches/${second.id}`)).match.status).toBe('accepted');

    await done.click();
    await a.getByRole('button', { name: 'Yes, it is done' }).click();
    await headline(a).filter({ hasText: 'Done: “Carry groceries upstairs”.' }).waitFor();
    await headline(b).filter({ hasText: 'Done: “Carry groceries upstairs”.' }).waitFor({ timeout: 15_000 });
    await notice(b, 'A match was completed').waitFor({ timeout: 15_000 });
    await bea.api.call('POST', `/api/matches/${second.id}/messages`, { body: 'Glad to help!' });
    await a.getByText('Glad to help!').waitFor({ timeout: 15_000 });
    expect(await notice(a, 'A match was completed').count()).toBe(0);
    await accessible(a, 'a completed match');
    await shot(a, 'match-done');
  });
});
