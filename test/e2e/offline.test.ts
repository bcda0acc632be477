// Offline and back (issue 16): a neighbor's phone loses its network. What
// she last loaded — who she is, the posts in view, her posts, her matches
// and their threads — stays readable, saying when it was loaded; reloading
// the app offline starts from it; when the network returns the app reloads
// what is on screen by itself; the connection's state is said in words and
// shape, not colour alone; and signing out leaves nothing of hers behind for
// the next person. Screenshots go to test/e2e/artifacts (offline-*.png).
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { apiClient, axe, card, e2eSession, shot, signInPhone } from './browser';

const e2e = e2eSession();
const PASSWORD = 'correct horse battery';
const soon = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const windows = [{ start: soon(24), end: soon(26) }];

/** Each test in its own part of town, so the lists hold only its posts. */
let places = 0;
function place(): { at: { lat: number; lng: number }; view: string } {
  const at = { lat: 40.6 + 0.03 * places++, lng: -73.95 };
  return { at, view: `/?lat=${at.lat}&lng=${at.lng}&zoom=15` };
}

/** A person made through the API: their id, e-mail, and calls with their session. */
async function person(name: string, at: { lat: number; lng: number }) {
  const api = apiClient(e2e.server.url);
  const email = `${name.toLowerCase()}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@example.org`;
  const { user } = await api.call<{ user: { id: string } }>('POST', '/api/auth/signup', { email, password: PASSWORD, displayName: name });
  const post = async (p: { kind: 'need' | 'offer'; category: string; title: string; capacity?: number }) =>
    (await api.call<{ post: { id: string } }>('POST', '/api/posts', { location: at, windows, radiusM: 3000, capacity: 1, details: {}, ...p })).post.id;
  return { id: user.id, email, api, post };
}
type Person = Awaited<ReturnType<typeof person>>;

/**
 * Ann needs soup, Bea offers it (and groceries); Bea proposed, Ann accepted,
 * and they wrote to each other.
 */
async function scene() {
  const { at, view } = place();
  const ann = await person('Ann', at);
  const bea = await person('Bea', at);
  const needId = await ann.post({ kind: 'need', category: 'meal', title: 'Soup for a sick neighbor' });
  const offerId = await bea.post({ kind: 'offer', category: 'meal', title: 'Vegetable soup on Sundays', capacity: 4 });
  await bea.post({ kind: 'offer', category: 'grocery', title: 'Grocery run on Saturday' });
  const { match } = await bea.api.call<{ match: { id: string } }>('POST', '/api/matches', { needId, offerId, message: 'I can bring soup.' });
  await ann.api.call('POST', `/api/matches/${match.id}/accept`);
  await ann.api.call('POST', `/api/matches/${match.id}/messages`, { body: 'Blue door, ring twice.' });
  return { at, view, ann, bea, matchId: match.id };
}

/**
 * The scene's match in My matches, by its id: the scenes of other tests are
 * near enough that Ann may also be suggested another Bea's soup, titled alike.
 */
const matchLink = (page: Page, matchId: string) => page.getByRole('link', { name: 'Vegetable soup on Sundays', exact: true }).and(page.locator(`a[href="/matches/${matchId}"]`));

/** A phone signed in with `who`'s session, opened at `path` once its posts are listed, its service worker in control. */
async function phoneOf(who: Person, path: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await e2e.phone();
  // No tile server on the test machine: made sure, so the banner for it never stands in for ours.
  await context.route(/tile\.openstreetmap\.org/, (route) => route.abort());
  const cookie = who.api.cookie();
  await signInPhone(context, cookie, e2e.server.url);
  const page = await context.newPage();
  await page.goto(`${e2e.server.url}${path}`);
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
  await listed(page);
  await controlled(page);
  return { context, page };
}

/** The list says how many posts are in view (it has loaded). */
async function listed(page: Page): Promise<void> {
  await page.getByRole('status').filter({ hasText: /posts? in view|Nothing here/ }).waitFor();
}

/** The service worker (web/public/sw.js) controls the page: a reload offline gets the app from it. */
async function controlled(page: Page): Promise<void> {
  const check = () =>
    page.waitForFunction(() => (globalThis as unknown as { navigator: { serviceWorker: { controller: unknown } } }).navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
  // It registers after load and claims the page once installed; a page opened before that needs a reload.
  await check().catch(async () => {
    await page.reload();
    await check();
  });
}

const titles = (page: Page) => page.locator('.card .title').allInnerTexts();
const nav = (page: Page, name: string) => page.getByRole('navigation').getByRole('link', { name, exact: true });
/** The header's word for the connection. */
const connection = (page: Page) => page.getByRole('banner').getByRole('status');
const banner = (page: Page) => page.getByText(/^You are offline — showing what was loaded at \d{1,2}:\d{2}/);

async function accessible(page: Page, where: string): Promise<void> {
  expect(await axe(page), where).toEqual([]);
}

describe('offline and back', () => {
  it('offline, my matches, whom I blocked, a match thread and a post read from what was last loaded, saying when', async () => {
    const s = await scene();
    // Ann blocked Cy: her list of blocked people is kept like her matches.
    const cy = await person('Cy', s.at);
    await s.ann.api.call('POST', '/api/blocks', { userId: cy.id });
    const { context, page } = await phoneOf(s.ann, s.view);
    const blockedList = page.locator('section', { has: page.getByRole('heading', { name: 'People you blocked' }) });
    // Online, Ann looks at her match once (the posts and her lists are loaded on their own).
    await nav(page, 'My matches').click();
    await blockedList.getByText('Cy', { exact: true }).waitFor();
    await matchLink(page, s.matchId).click();
    await page.getByText('Blue door, ring twice.').waitFor();
    await page.getByRole('link', { name: /Back to the map/ }).click();

    await context.setOffline(true);
    await page.getByText(/^You are offline/).waitFor();
    await nav(page, 'My matches').click();
    await matchLink(page, s.matchId).waitFor();
    expect(await page.getByText('No matches yet.').count()).toBe(0);
    await banner(page).waitFor();
    // Whom she blocked, as last loaded: never "nobody" for want of a connection.
    await blockedList.getByText('Cy', { exact: true }).waitFor();
    expect(await page.getByText('You have not blocked anyone.').count()).toBe(0);
    await shot(page, 'offline-my-matches');
    await accessible(page, 'my matches, offline');
    await matchLink(page, s.matchId).click();
    await page.getByText('Blue door, ring twice.').waitFor();
    await page.getByText('I can bring soup.').waitFor();
    await shot(page, 'offline-thread');

    // A post she never opened, from the list she loaded.
    await page.getByRole('link', { name: /Back to the map/ }).click();
    await card(page, 'Grocery run on Saturday').click();
    await page.getByRole('heading', { name: 'Grocery run on Saturday' }).waitFor();
    expect(await page.getByText('You are offline. What you see may be out of date.').count()).toBe(0);
    await banner(page).waitFor();
    await shot(page, 'offline-post');
    await context.setOffline(false);
  });

  it('reloading offline starts from the kept session and posts: still signed in, no sign-in dialog, the list as it was', async () => {
    const s = await scene();
    const { context, page } = await phoneOf(s.ann, s.view);
    expect((await titles(page)).sort()).toEqual(['Grocery run on Saturday', 'Vegetable soup on Sundays']);

    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: 'Aidmap' }).waitFor();
    await page.getByRole('status').filter({ hasText: '2 posts in view' }).waitFor();
    expect((await titles(page)).sort()).toEqual(['Grocery run on Saturday', 'Vegetable soup on Sundays']);
    expect(await page.getByRole('button', { name: 'Sign out', exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('dialog').count()).toBe(0);
    await banner(page).waitFor();
    await shot(page, 'offline-reloaded');

    // A page that needs her signed in, opened afresh offline: hers, not the sign-in dialog.
    await page.goto(`${e2e.server.url}/matches`);
    await matchLink(page, s.matchId).waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await context.setOffline(false);
  });

  it('back online, what is on screen reloads by itself within seconds', async () => {
    const s = await scene();
    const { context, page } = await phoneOf(s.ann, `/matches/${s.matchId}${new URL(s.view, 'http://x').search}`);
    await page.getByText('Blue door, ring twice.').waitFor();
    // A message that comes live is kept with the thread.
    await connection(page).filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
    await s.bea.api.call('POST', `/api/matches/${s.matchId}/messages`, { body: 'Soup is ready.' });
    await page.getByText('Soup is ready.').waitFor({ timeout: 15_000 });

    // Offline, and the app reloaded from the device: no live connection to resume.
    await context.setOffline(true);
    await page.reload();
    await page.getByText('Blue door, ring twice.').waitFor();
    await page.getByText('Soup is ready.').waitFor();
    await banner(page).waitFor();
    // Meanwhile, Bea writes and posts.
    await s.bea.api.call('POST', `/api/matches/${s.matchId}/messages`, { body: 'Leaving now, 10 minutes.' });
    await s.bea.post({ kind: 'offer', category: 'lending', title: 'Ladder to lend' });

    await context.setOffline(false);
    await page.getByText('Leaving now, 10 minutes.').waitFor({ timeout: 15_000 });
    await banner(page).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: /Back to the map/ }).click();
    await card(page, 'Ladder to lend').waitFor({ timeout: 15_000 });
    await connection(page).filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
    await shot(page, 'offline-recovered');
  });

  it('the connection state is said in words and shape, not colour alone, also on a phone', async () => {
    const s = await scene();
    const { context, page } = await phoneOf(s.ann, s.view);
    const status = connection(page);
    await status.filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
    /** The word is on screen, not only in a 1-pixel box for screen readers. */
    const shown = async (word: string) => ((await status.getByText(word, { exact: true }).boundingBox())?.width ?? 0) > 15;
    expect(await shown('Live')).toBe(true);
    const liveIcon = await status.locator('svg').getAttribute('data-shape');

    await context.setOffline(true);
    await status.filter({ hasText: 'Offline' }).waitFor();
    // Shown in words at a phone's width, with its own shape, and named for screen readers.
    expect(await shown('Offline')).toBe(true);
    expect(await status.locator('svg').getAttribute('data-shape')).not.toBe(liveIcon);
    expect(await page.getByRole('banner').getByRole('status', { name: 'Offline' }).count()).toBe(1);
    await banner(page).waitFor();
    await accessible(page, 'the map, offline');
    await shot(page, 'offline-header');

    await context.setOffline(false);
    await status.filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
  });

  it('signing out clears what was kept: the next person on the same phone sees none of it offline', async () => {
    const s = await scene();
    const carl = await person('Carl', s.at);
    const { context, page } = await phoneOf(s.ann, s.view);
    await nav(page, 'My matches').click();
    await matchLink(page, s.matchId).waitFor();
    await page.getByRole('link', { name: /Back to the map/ }).click();

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('button', { name: 'Sign in' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Email').fill(carl.email);
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    await listed(page);
    await nav(page, 'My matches').click();
    await page.getByText('No matches yet.').waitFor();

    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: 'My matches' }).waitFor();
    await page.getByText('No matches yet.').waitFor();
    expect(await page.getByRole('link', { name: 'Vegetable soup on Sundays', exact: true }).count()).toBe(0);
    // Nothing of Ann's is left in the browser's storage at all.
    const stored = await page.evaluate(async () => {
      // Runs in the page: IndexedDB typed by hand (this file is type-checked for Node).
      interface Req<T> { result: T; onsuccess: (() => void) | null; onerror: (() => void) | null }
      interface Db { objectStoreNames: ArrayLike<string>; transaction(s: string): { objectStore(s: string): { getAll(): Req<unknown[]> } }; close(): void }
      const idb = (globalThis as unknown as { indexedDB: { databases(): Promise<{ name?: string }[]>; open(n: string): Req<Db> } }).indexedDB;
      const done = <T>(r: Req<T>) =>
        new Promise<T>((res, rej) => {
          r.onsuccess = () => res(r.result);
          r.onerror = () => rej(new Error('IndexedDB failed'));
        });
      let all = '';
      for (const { name } of await idb.databases()) {
        const db = await done(idb.open(name!));
        for (const store of Array.from(db.objectStoreNames)) {
          all += JSON.stringify(await done(db.transaction(store).objectStore(store).getAll()));
        }
        db.close();
      }
      return all;
    });
    expect(stored).not.toContain(s.ann.id);
    expect(stored).not.toContain('Blue door');
    await context.setOffline(false);
  });
});
