// Two neighbors on phones, end to end: A asks for a ride, B (watching the
// same area) sees it appear live, offers, A accepts, they talk, and only then
// does B see A's exact place. Screenshots of each step go to test/e2e/artifacts.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { apiClient, axe, card, e2eSession, shot } from './browser';

const e2e = e2eSession();
const VIEW = '/?lat=40.6694&lng=-73.9422&zoom=15';
const tomorrow = new Date(Date.now() + 86_400_000).toLocaleDateString('en-CA', { timeZone: 'America/New_York' });

async function open(path = VIEW, locale?: string): Promise<Page> {
  const context = await e2e.phone(locale ? { locale } : {});
  const page = await context.newPage();
  await page.goto(`${e2e.server.url}${path}`);
  await page.getByRole('status').filter({ hasText: /posts? in view|Nothing here|publicaci|Aún no/ }).waitFor();
  return page;
}

async function signUp(page: Page, name: string, check = false): Promise<void> {
  await page.getByRole('button', { name: 'Sign in' }).click();
  const dialog = page.getByRole('dialog');
  if (check) {
    await dialog.waitFor();
    await accessible(page, 'the sign-in dialog');
  }
  await dialog.getByRole('button', { name: 'Create an account' }).click();
  await dialog.getByLabel('Your name').fill(name);
  await dialog.getByLabel('Email').fill(`${name.toLowerCase()}-${Date.now()}@example.org`);
  await dialog.getByLabel('Password').fill('correct horse battery');
  await dialog.getByRole('button', { name: 'Create an account' }).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
}

/** axe-core finds no serious or critical WCAG A/AA violation on what the page shows now. */
async function accessible(page: Page, where: string): Promise<void> {
  expect(await axe(page), where).toEqual([]);
}

async function post(page: Page, p: { kind: 'need' | 'offer'; title: string; capacity?: number; destination?: boolean; check?: boolean }): Promise<void> {
  await page.getByRole('link', { name: '+ Post a need or an offer' }).click();
  if (p.check) {
    await accessible(page, 'the new post form');
  }
  await page.getByLabel(p.kind === 'need' ? 'Ask for help' : 'Offer help').check();
  await page.getByLabel('Category').selectOption('ride');
  await page.getByLabel('Title').fill(p.title);
  await page.getByRole('button', { name: 'Use the map’s center' }).click();
  if (p.destination) {
    await page.getByRole('button', { name: 'Destination', exact: true }).click();
    await page.locator('.picker').click({ position: { x: 300, y: 60 } });
  }
  if (p.capacity) {
    await page.getByLabel('Seats').fill(String(p.capacity));
  }
  await page.getByRole('textbox', { name: 'Date', exact: true }).fill(tomorrow);
  await page.getByLabel('From', { exact: true }).fill('16:00');
  await page.getByLabel('To', { exact: true }).fill('18:00');
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByRole('heading', { name: p.title }).waitFor();
}

describe('two neighbors', () => {
  it('A asks for a ride; B sees it live, offers; A accepts live; they talk; B then sees the exact place', async () => {
    const b = await open();
    await accessible(b, 'the map page');
    await signUp(b, 'Bea');
    await post(b, { kind: 'offer', title: 'Driving to Kings County Hospital', capacity: 2 });
    await b.getByRole('link', { name: /Back to the map/ }).click();
    await shot(b, 'b-map-before');

    const a = await open();
    await signUp(a, 'Ann', true);
    await post(a, { kind: 'need', title: 'Ride to the clinic', destination: true, check: true });
    await accessible(a, 'a post page, the author\'s');
    await shot(a, 'a-need-posted');
    const exact = (await a.getByText(/^Exact place:/).textContent())!.match(/(-?\d+\.\d+), (-?\d+\.\d+)/)!.slice(1, 3);

    // B sees it appear without reloading.
    // In the list (and on the map: a marker with the same name).
    await card(b, 'Ride to the clinic').waitFor({ timeout: 15_000 });
    expect(await b.getByRole('button', { name: 'Need: Ride — Ride to the clinic' }).count()).toBe(1);
    await shot(b, 'b-sees-need-live');
    await card(b, 'Ride to the clinic').click();
    await b.getByRole('heading', { name: 'Ride to the clinic' }).waitFor();
    expect(await b.getByText(/^Approximate place/).isVisible()).toBe(true);
    expect(await b.getByText(/^Exact place/).count()).toBe(0);
    await b.getByLabel('Message (optional)').fill('I drive past there at 4.');
    await b.getByRole('button', { name: 'Propose' }).click();
    await b.getByText('Waiting for Ann to answer.').waitFor();
    await shot(b, 'b-proposed');
    await accessible(b, 'a match page');

    // A is told wherever she is, and accepts.
    const notice = a.getByRole('link', { name: 'Bea proposed a match' });
    await notice.waitFor({ timeout: 15_000 });
    await shot(a, 'a-notice');
    await notice.click();
    await a.getByRole('button', { name: 'Accept' }).click();
    await a.getByText(/^Agreed: Bea is helping with/).waitFor();
    await shot(a, 'a-accepted');

    // B's page turns accepted live, and now shows A's exact place with directions.
    await b.getByText(/^Agreed: you are helping Ann with/).waitFor({ timeout: 15_000 });
    await b.getByText(`Exact place: ${exact[0]}, ${exact[1]}`, { exact: false }).waitFor();
    expect(await b.getByRole('link', { name: 'Directions' }).getAttribute('href')).toContain(`to=${Number(exact[0])}%2C${Number(exact[1])}`);
    await shot(b, 'b-sees-exact-place');

    // They talk.
    await a.getByPlaceholder('Write a message').fill('Thank you! Blue door, ring twice.');
    await a.getByRole('button', { name: 'Send' }).click();
    await b.getByText('Thank you! Blue door, ring twice.').waitFor({ timeout: 15_000 });
    await b.getByPlaceholder('Write a message').fill('See you at 4.');
    await b.getByRole('button', { name: 'Send' }).click();
    await a.getByText('See you at 4.').waitFor({ timeout: 15_000 });
    expect(await a.getByText('I drive past there at 4.').isVisible()).toBe(true);
    await shot(a, 'a-thread');
    await shot(b, 'b-thread');

    // Her own lists, reached from the navigation.
    await a.getByRole('link', { name: 'My posts' }).click();
    await a.getByRole('link', { name: /Ride to the clinic/ }).first().waitFor();
    await accessible(a, 'my posts');
    await a.getByRole('link', { name: 'My matches' }).click();
    await a.getByRole('link', { name: /Bea/ }).first().waitFor();
    await accessible(a, 'my matches');
    await shot(a, 'a-my-matches');
  });
});

describe('editing', () => {
  it('the author edits a post from its page; a neighbor watching the map sees the change live; pages name themselves', async () => {
    const watcher = await open();
    const author = await open();
    expect(await author.title()).toMatch(/^Aidmap/);
    await signUp(author, 'Eli');
    await post(author, { kind: 'offer', title: 'Rides to the pharmacy' });
    expect(await author.title()).toBe('Post · Aidmap');
    await card(watcher, 'Rides to the pharmacy').waitFor({ timeout: 15_000 });

    await author.getByRole('link', { name: 'Edit this post' }).click();
    await author.getByRole('heading', { name: 'Edit this post' }).waitFor();
    expect(await author.title()).toBe('Edit this post · Aidmap');
    // The form starts from the post as it is.
    expect(await author.getByLabel('Title').inputValue()).toBe('Rides to the pharmacy');
    expect(await author.getByLabel('Offer help').isChecked()).toBe(true);
    expect(await author.getByLabel('From', { exact: true }).inputValue()).toBe('16:00');
    await accessible(author, 'the edit form');
    await author.getByLabel('Title').fill('Rides to the pharmacy and back');
    await author.getByLabel('To', { exact: true }).fill('19:00');
    await author.getByRole('button', { name: 'Save changes' }).click();
    await author.getByRole('heading', { name: 'Rides to the pharmacy and back' }).waitFor();
    await shot(author, 'author-edited');

    // The watcher's list and map follow without a reload.
    await card(watcher, 'Rides to the pharmacy and back').waitFor({ timeout: 15_000 });
    // No marker keeps the old name (the post may sit in a cluster with the others posted at this center).
    expect(await watcher.getByRole('button', { name: 'Offer: Ride — Rides to the pharmacy', exact: true }).count()).toBe(0);
    await shot(watcher, 'watcher-sees-edit');

    // An emptied title is refused next to the field, and nothing changes.
    await author.getByRole('link', { name: 'Edit this post' }).click();
    await author.getByLabel('Title').fill('');
    await author.getByRole('button', { name: 'Save changes' }).click();
    await author.getByRole('alert').first().waitFor();
    expect(await author.locator('.error').filter({ hasText: /\S/ }).count()).toBeGreaterThan(0);
  });
});

describe('the map page', () => {
  it('opens where the link says and keeps the view in the URL; filters narrow the list; tiles and network may fail', async () => {
    // Posts to look at, made through the API.
    const jar = { cookie: '' };
    const api = async (path: string, body: unknown) => {
      const res = await fetch(`${e2e.server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: jar.cookie }, body: JSON.stringify(body) });
      jar.cookie ||= (res.headers.get('set-cookie') ?? '').split(';')[0]!;
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    };
    await api('/api/auth/signup', { email: `cam-${Date.now()}@example.org`, password: 'correct horse battery', displayName: 'Cam' });
    const windows = [{ start: `${tomorrow}T10:00:00-05:00`, end: `${tomorrow}T12:00:00-05:00` }];
    const near = { lat: 40.7001, lng: -73.9901 };
    await api('/api/posts', { kind: 'need', category: 'meal', title: 'Soup for a sick neighbor', location: near, windows, capacity: 1, details: {} });
    await api('/api/posts', { kind: 'offer', category: 'grocery', title: 'Grocery run on Saturday', location: { lat: 40.7003, lng: -73.9899 }, windows, details: {} });

    const context = await e2e.phone();
    // No tile server reachable: the map's background fails, everything else works.
    await context.route(/tile\.openstreetmap\.org/, (route) => route.abort());
    const page = await context.newPage();
    // Zoom 15: wide enough that both public points (150–400 m from the true ones) are surely in view.
    await page.goto(`${e2e.server.url}/?lat=40.7002&lng=-73.99&zoom=15`);
    await page.getByRole('status').filter({ hasText: /posts? in view/ }).waitFor();
    // The banner that comes in above the map resizes it; the centre the link names stays.
    await page.getByText('The map background cannot load').waitFor();
    await page.waitForTimeout(300);
    const view = new URL(page.url()).searchParams;
    expect(Math.abs(Number(view.get('lat')) - 40.7002)).toBeLessThan(0.00005); // within a pixel (about 3 m at zoom 15)
    expect(Math.abs(Number(view.get('lng')) + 73.99)).toBeLessThan(0.00005);
    expect(view.get('zoom')).toBe('15');
    await shot(page, 'map-no-tiles');
    const titles = () => page.locator('.card .title').allInnerTexts();
    expect((await titles()).sort()).toEqual(['Grocery run on Saturday', 'Soup for a sick neighbor']);

    await page.getByText('Needs', { exact: true }).click();
    await expect.poll(titles, { timeout: 10_000 }).toEqual(['Soup for a sick neighbor']);
    await page.getByText('All', { exact: true }).click();
    await page.locator('label.chip', { hasText: 'Groceries' }).click();
    await expect.poll(titles, { timeout: 10_000 }).toEqual(['Grocery run on Saturday']);
    await shot(page, 'map-filtered');
    await page.getByRole('button', { name: 'Zoom out' }).click();
    await page.waitForURL(/zoom=14/);

    // A link opens the same place.
    const again = await context.newPage();
    await again.goto(page.url());
    await again.locator('.card .title', { hasText: 'Soup for a sick neighbor' }).waitFor();
    expect(again.url()).toContain('zoom=14');

    // Offline: said plainly; what was loaded stays.
    await context.setOffline(true);
    await page.getByText('You are offline').waitFor();
    expect(await page.locator('.card').count()).toBe(1);
    await shot(page, 'map-offline');
    await context.setOffline(false);
    await page.getByText('You are offline').waitFor({ state: 'detached' });
  });

  it('installs: a manifest, and a service worker so the app opens with no network at all', async () => {
    const context = await e2e.phone();
    const page = await context.newPage();
    await page.goto(`${e2e.server.url}${VIEW}`);
    const manifest = await page.evaluate(() => (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(a: string): string } | null } }).document.querySelector('link[rel=manifest]')?.getAttribute('href'));
    expect(manifest).toBe('/manifest.webmanifest');
    const res = await fetch(`${e2e.server.url}/manifest.webmanifest`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { display: string }).display).toBe('standalone');
    // Registered after load; wait until it controls the page.
    await page.waitForFunction(() => (globalThis as unknown as { navigator: { serviceWorker: { controller: unknown } } }).navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 }).catch(async () => {
      await page.reload();
      await page.waitForFunction(() => (globalThis as unknown as { navigator: { serviceWorker: { controller: unknown } } }).navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
    });
    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: 'Aidmap' }).waitFor();
    await page.getByText('You are offline').waitFor();
    await shot(page, 'offline-app-shell');
    await context.setOffline(false);
  });

  it('speaks Spanish to a Spanish browser, and switches', async () => {
    const page = await open(VIEW, 'es-MX');
    await page.getByRole('button', { name: 'Entrar' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('es');
    await page.getByLabel('Idioma').selectOption('en');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});

describe('organizers', () => {
  it('an organizer starts a community for the area on the map, sees the needs waiting, plans and proposes; the helper is told live', async () => {
    // Away from the other tests' posts (Borough Park), so the plan can only pair these two.
    const place = '/?lat=40.6301&lng=-73.9902&zoom=15';
    const org = await open(place);
    await signUp(org, 'Olga');
    await org.getByRole('link', { name: 'Communities' }).click();
    await org.getByRole('heading', { name: 'Communities', exact: true }).waitFor();
    await org.getByText('Start a community').click();
    await org.getByLabel('Name', { exact: true }).fill('Crown Heights Mutual Aid');
    // The area: the visible map's rectangle, as corners (drawing by taps: community-start.test.ts).
    await org.getByRole('button', { name: 'Start from the visible map' }).click();
    await org.getByRole('status').filter({ hasText: /^Area: about/ }).waitFor();
    await accessible(org, 'the communities page');
    await org.getByRole('button', { name: 'Create' }).click();
    await org.getByRole('heading', { name: 'Crown Heights Mutual Aid' }).waitFor();
    const communityUrl = org.url();

    // Two neighbors join it from the Communities page; one asks for a ride, the other offers one.
    const join = async (page: Page) => {
      await page.getByRole('link', { name: 'Communities' }).click();
      await page.getByRole('heading', { name: 'Communities here' }).waitFor();
      await page.getByRole('link', { name: /^Join\b.*Crown Heights Mutual Aid/ }).click();
      // The join step says what organizers will see, and waits for the tick.
      await page.getByLabel('I understand that the organizers of Crown Heights Mutual Aid will see the exact places of my posts.').check();
      await page.getByRole('button', { name: 'Join Crown Heights Mutual Aid' }).click();
      await page.getByText('You joined Crown Heights Mutual Aid.').waitFor();
      await page.getByRole('link', { name: /Back to the map/ }).click();
    };
    const asker = await open(place);
    await signUp(asker, 'Abe');
    await join(asker);
    await post(asker, { kind: 'need', title: 'Ride to the pharmacy', destination: true });
    const helper = await open(place);
    await signUp(helper, 'Hana');
    await join(helper);
    await post(helper, { kind: 'offer', title: 'Driving around the neighborhood', capacity: 3 });
    await helper.getByRole('link', { name: /Back to the map/ }).click();

    await org.goto(communityUrl);
    await org.getByRole('button', { name: 'Helpers and actions for Ride to the pharmacy', exact: true }).waitFor();
    await accessible(org, 'the organizer page');
    await org.getByRole('button', { name: 'Make a plan' }).click();
    await org.getByText(/1 of \d+ needs of members can be served/).waitFor();
    await shot(org, 'organizer-plan');
    await org.getByRole('button', { name: 'Propose these matches' }).click();
    await org.getByText('1 proposal sent; the helper will answer.').waitFor();
    await shot(org, 'organizer-applied');

    // The helper hears of it wherever she is, and can accept.
    const notice = helper.getByRole('link', { name: 'An organizer proposed a match with Abe' });
    await notice.waitFor({ timeout: 15_000 });
    await notice.click();
    await helper.getByRole('button', { name: 'Accept' }).click();
    await helper.getByText(/^Agreed: you are helping Abe with/).waitFor();
    await shot(helper, 'helper-accepted-organizer-proposal');
  });
});

/** Someone signed up through the API: their user, calls made with their session, and a phone signed in as them. */
async function apiUser(name: string) {
  const { call, cookie } = apiClient(e2e.server.url);
  const { user } = await call<{ user: { id: string } }>('POST', '/api/auth/signup', { email: `${name.toLowerCase()}-${Date.now()}@example.org`, password: 'correct horse battery', displayName: name });
  /** A phone signed in as this user, with map tiles unreachable (as in the tests' offline machine, made sure). */
  const phoneAs = async (path: string): Promise<Page> => {
    const context = await e2e.phone();
    await context.route(/tile\.openstreetmap\.org/, (route) => route.abort());
    const [cookieName, ...value] = cookie().split('=');
    await context.addCookies([{ name: cookieName!, value: value.join('='), url: e2e.server.url }]);
    const page = await context.newPage();
    await page.goto(`${e2e.server.url}${path}`);
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    return page;
  };
  return { id: user.id, call, phoneAs };
}

/** A button "<action>: <name>" whose name part is visually hidden (Chromium may put a space before the colon). */
const forWhom = (action: string, name: string) => new RegExp(`^${action}\\s*:\\s*${name}$`);

describe('community admins', () => {
  it('an admin promotes a member, is kept as the last admin, suspends a member, reads the audit log and sees coverage drawn on the map', async () => {
    // Away from the other tests' places (Midwood), so the coverage holds only these posts.
    const c = { lat: 40.595, lng: -73.96 };
    const ring = [[c.lng - 0.012, c.lat - 0.009], [c.lng + 0.012, c.lat - 0.009], [c.lng + 0.012, c.lat + 0.009], [c.lng - 0.012, c.lat + 0.009], [c.lng - 0.012, c.lat - 0.009]];
    const ada = await apiUser('Ada');
    const { community } = await ada.call<{ community: { id: string } }>('POST', '/api/communities', {
      name: 'Midwood Neighbors',
      slug: `midwood-${Date.now()}`,
      joinPolicy: 'open',
      timezone: 'America/New_York',
      boundary: { type: 'Polygon', coordinates: [ring] },
    });
    const id = community.id;
    // Twenty invite codes: the audit log then runs past its first page.
    for (let i = 0; i < 20; i++) {
      await ada.call('POST', `/api/communities/${id}/invites`, {});
    }
    const mo = await apiUser('Mo');
    const sam = await apiUser('Sam');
    await mo.call('POST', `/api/communities/${id}/join`, {});
    await sam.call('POST', `/api/communities/${id}/join`, {});
    const windows = [{ start: `${tomorrow}T10:00:00-05:00`, end: `${tomorrow}T12:00:00-05:00` }];
    const at = (dLat: number, dLng: number) => ({ lat: c.lat + dLat, lng: c.lng + dLng });
    await sam.call('POST', '/api/posts', { kind: 'need', category: 'ride', title: 'Ride to the eye doctor', location: at(-0.005, -0.006), windows, details: { destination: at(0.02, 0.02) } });
    await sam.call('POST', '/api/posts', { kind: 'need', category: 'meal', title: 'Dinner for two', location: at(0.002, 0.004), windows, details: {} });
    await ada.call('POST', '/api/posts', { kind: 'need', category: 'grocery', title: 'Milk and bread', location: at(0.006, -0.008), windows, details: {} });
    await mo.call('POST', '/api/posts', { kind: 'offer', category: 'ride', title: 'Driving on Avenue J', location: at(-0.005, -0.0058), windows, capacity: 2, details: {} });
    await mo.call('POST', '/api/posts', { kind: 'offer', category: 'errand', title: 'Errands after work', location: at(0.001, 0.009), windows, details: {} });

    // Members and roles.
    const page = await ada.phoneAs(`/communities/${id}`);
    await page.getByRole('heading', { name: 'Midwood Neighbors' }).waitFor();
    await page.getByRole('link', { name: 'Members', exact: true }).click();
    await page.getByRole('heading', { name: 'Members', exact: true }).waitFor();
    await page.getByText('Sam', { exact: true }).waitFor();
    expect(await page.title()).toBe('Members · Aidmap');
    await accessible(page, 'the members page');
    // Nobody suspends an admin, nor themself.
    expect(await page.getByRole('button', { name: forWhom('Suspend', 'Ada') }).count()).toBe(0);

    await page.getByLabel('Role: Mo').selectOption('organizer');
    await page.getByRole('button', { name: forWhom('Change role', 'Mo') }).click();
    await page.getByText('Mo is now: Organizer.').waitFor();

    // The last admin cannot step down: the server's 409 is shown as it says it, and the choice goes back.
    await page.getByLabel('Role: Ada').selectOption('member');
    await page.getByRole('button', { name: forWhom('Change role', 'Ada') }).click();
    await page.getByRole('alert').filter({ hasText: 'This is the only admin of the community; make someone else admin first.' }).waitFor();
    expect(await page.getByLabel('Role: Ada').inputValue()).toBe('admin');

    await page.getByRole('button', { name: forWhom('Suspend', 'Sam') }).click();
    await page.getByLabel('Why (optional; kept in the audit log)').fill('Rude to helpers');
    await accessible(page, 'confirming a suspension');
    await page.getByRole('button', { name: 'Suspend Sam' }).click();
    await page.getByText('Sam is suspended.').waitFor();
    await page.getByRole('button', { name: forWhom('Lift suspension', 'Sam') }).waitFor();
    await shot(page, 'admin-members');

    // The new organizer may lift a member's suspension, but sets no roles and cannot touch the admin.
    const organizer = await mo.phoneAs(`/communities/${id}/members`);
    await organizer.getByRole('button', { name: forWhom('Lift suspension', 'Sam') }).waitFor();
    expect(await organizer.getByRole('button', { name: /^Change role/ }).count()).toBe(0);
    expect(await organizer.getByRole('button', { name: forWhom('Suspend', 'Ada') }).count()).toBe(0);
    expect(await organizer.getByRole('link', { name: 'Audit log: who did what' }).count()).toBe(0);

    // The audit log: newest first, a page at a time.
    await page.getByRole('link', { name: /^← Back to Midwood Neighbors/ }).click();
    await page.getByRole('link', { name: 'Audit log: who did what' }).click();
    await page.getByRole('heading', { name: 'Audit log: who did what' }).waitFor();
    const entries = page.locator('ol.entries > li');
    await expect.poll(() => entries.count()).toBe(20);
    // As a screen reader hears it: "before → changed to after".
    const said = async (i: number) => ((await entries.nth(i).textContent()) ?? '').replace(/\s+/g, ' ');
    expect(await said(0)).toMatch(/Ada suspended Sam Suspended ?no → ?changed to ?yes ?Reason ?Rude to helpers/);
    expect(await said(1)).toMatch(/Ada changed the role of Mo Role ?Member → ?changed to ?Organizer/);
    // The refused change left no entry.
    expect(await page.getByText('Ada changed the role of Ada').count()).toBe(0);
    expect(await page.getByText('Ada started the community').count()).toBe(0);
    await accessible(page, 'the audit log');
    await shot(page, 'admin-audit-log');
    await page.getByRole('button', { name: 'Show older entries' }).click();
    await page.getByText('Ada started the community').waitFor();
    expect(await entries.count()).toBe(23);
    expect(await page.getByRole('button', { name: 'Show older entries' }).count()).toBe(0);

    // Coverage: one rectangle per cell the API returns, on a blank background (no tiles).
    await page.getByRole('link', { name: /^← Back to Midwood Neighbors/ }).click();
    type CoverageBody = { cells: { byCategory: Record<string, unknown> }[] };
    const coverage = async (action: () => Promise<unknown>): Promise<CoverageBody> => {
      const response = page.waitForResponse((r) => r.url().includes(`/api/communities/${id}/coverage?`) && r.status() === 200);
      await action();
      return (await (await response).json()) as CoverageBody;
    };
    const rects = page.locator('.coverage-map path.coverage-cell');
    const week = await coverage(() => page.getByRole('link', { name: 'Where help is missing' }).click());
    await page.getByRole('heading', { name: 'Where help is missing' }).waitFor();
    expect(week.cells.length).toBeGreaterThanOrEqual(3);
    await expect.poll(() => rects.count()).toBe(week.cells.length);
    // Each cell says in words how many needs there lack help (readable without tiles or color).
    expect(await page.locator('.coverage-map .coverage-mark').count()).toBe(week.cells.length);
    // Sam is suspended: his ride need counts at its public place, which may or may not share the ride offer's cell.
    await page.getByText(new RegExp(`^3 needs and 2 offers in ${week.cells.length} areas; no member's offer can serve [23] of the needs\\.$`)).waitFor();
    await page.getByText('The map background cannot load').first().waitFor();
    await accessible(page, 'the coverage map');
    await page.locator('.coverage-map').scrollIntoViewIfNeeded();
    await shot(page, 'admin-coverage-week');

    await page.getByLabel('Category').selectOption('ride');
    await expect.poll(() => rects.count()).toBe(week.cells.filter((cell) => 'ride' in cell.byCategory).length);
    const tomorrowOnly = await coverage(() => page.getByLabel('When').selectOption({ label: 'Tomorrow' }));
    expect(tomorrowOnly.cells.length).toBe(week.cells.length);
    await expect.poll(() => rects.count()).toBe(tomorrowOnly.cells.filter((cell) => 'ride' in cell.byCategory).length);
    await page.getByLabel('Category').selectOption('');
    const wide = await coverage(() => page.getByLabel('Square size').selectOption({ label: '5 km' }));
    await expect.poll(() => rects.count()).toBe(wide.cells.length);
    await page.locator('.coverage-map').scrollIntoViewIfNeeded();
    await shot(page, 'admin-coverage-5km');

    // A member filters the map to the community: its posts only, its outline drawn; live posts outside it stay off.
    await ada.call('POST', '/api/posts', { kind: 'offer', category: 'meal', title: 'Soup outside Midwood', location: at(0, 0.03), windows, details: {} });
    await page.goto(`${e2e.server.url}/?lat=${c.lat}&lng=${c.lng + 0.012}&zoom=13`);
    const titles = () => page.locator('.card .title').allInnerTexts();
    await expect.poll(async () => (await titles()).includes('Soup outside Midwood'), { timeout: 10_000 }).toBe(true);
    await page.getByLabel('Show').selectOption({ label: 'Midwood Neighbors' });
    // The server's answer (it goes by public points, up to 400 m from the true ones), shown as it is.
    const mapBox = `${c.lng - 0.05},${c.lat - 0.03},${c.lng + 0.06},${c.lat + 0.03}`;
    const theirs = (await ada.call<{ items: { title: string }[] }>('GET', `/api/posts?bbox=${mapBox}&limit=1000&community=${id}`)).items.map((p) => p.title).sort();
    expect(theirs.length).toBeGreaterThanOrEqual(3);
    expect(theirs).not.toContain('Soup outside Midwood');
    await expect.poll(async () => (await titles()).sort(), { timeout: 10_000 }).toEqual(theirs);
    expect(await page.locator('path.community-outline').count()).toBe(1);
    await sam.call('POST', '/api/posts', { kind: 'need', category: 'errand', title: 'Post office run', location: at(0.002, 0.002), windows, details: {} });
    // Outside the area (its public point too, which lies within 400 m, about 0.005° of longitude here) yet within
    // the view one zoom out from the area's (half-width 0.033°), wherever its public point falls.
    await ada.call('POST', '/api/posts', { kind: 'offer', category: 'meal', title: 'More soup outside', location: at(0.001, 0.024), windows, details: {} });
    await page.locator('.card .title', { hasText: 'Post office run' }).waitFor();
    await page.waitForTimeout(500);
    expect(await titles()).not.toContain('More soup outside');
    await accessible(page, 'the map filtered to a community');
    await shot(page, 'member-map-community');
    await page.getByLabel('Show').selectOption({ label: 'Everywhere on the map' });
    await page.getByRole('button', { name: 'Zoom out' }).click(); // the filter brought the community into view: out a little to see past it
    await page.locator('.card .title', { hasText: 'More soup outside' }).waitFor();
    expect(await page.locator('path.community-outline').count()).toBe(0);

    // Mo leaves, after being told what it means; the organizer pages go with it.
    await organizer.goto(`${e2e.server.url}/communities/${id}`);
    await organizer.getByRole('button', { name: 'Leave this community' }).click();
    await organizer.getByText(/^Leave\? Its organizers will no longer see the exact places of your posts/).waitFor();
    await accessible(organizer, 'confirming leaving a community');
    await organizer.getByRole('button', { name: 'Yes, leave' }).click();
    await organizer.getByText('You left Midwood Neighbors.').waitFor();
    await shot(organizer, 'organizer-left');
    expect(await organizer.getByRole('link', { name: 'Members', exact: true }).count()).toBe(0);
    expect(await organizer.getByRole('button', { name: 'Leave this community' }).count()).toBe(0);
  });

  it('a user makes a private calendar address, copies it, replaces it and turns it off; an old address then answers 404', async () => {
    const cal = await apiUser('Cal');
    const page = await cal.phoneAs('/matches');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: e2e.server.url });
    await page.getByRole('heading', { name: 'Your matches in your calendar' }).waitFor();
    await page.getByText(/Anyone who has this address can see your accepted matches/).waitFor();
    await accessible(page, 'my matches with the calendar address');
    await page.getByRole('button', { name: 'Make my calendar address' }).click();
    const field = page.getByLabel('Your calendar address');
    await field.waitFor();
    const first = await field.inputValue();
    expect(first).toMatch(new RegExp(`^${e2e.server.url}/api/calendar/[A-Za-z0-9_-]{43}\\.ics$`));
    const feed = await fetch(first);
    expect(feed.status).toBe(200);
    expect(await feed.text()).toContain('BEGIN:VCALENDAR');

    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText(/^Copied\./).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(first);
    expect(await page.getByRole('link', { name: 'Open in my calendar app' }).getAttribute('href')).toBe(first.replace(/^http:/, 'webcal:'));
    await accessible(page, 'a calendar address shown');
    await shot(page, 'calendar-address');

    // A new address retires the old one.
    await page.getByRole('button', { name: 'Make a new address' }).click();
    await expect.poll(() => field.inputValue()).not.toBe(first);
    const second = await field.inputValue();
    expect((await fetch(first)).status).toBe(404);
    expect((await fetch(second)).status).toBe(200);
    // Back later: the page knows there is an address (not what it is: only its hash is kept).
    await page.reload();
    await page.getByText(/^You have a calendar address, made /).waitFor();
    expect(await field.count()).toBe(0);

    await page.getByRole('button', { name: 'Turn off my calendar address' }).click();
    await page.getByText('Your calendar address is turned off. The old address no longer works.').waitFor();
    expect(await field.count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Turn off my calendar address' }).count()).toBe(0);
    expect((await fetch(second)).status).toBe(404);
    await shot(page, 'calendar-turned-off');
  });
});

describe('safety', () => {
  it('a neighbor reports a post and a person, blocks the author (their post leaves her map), and unblocks them', async () => {
    // Away from the other tests' places (Bay Ridge).
    const c = { lat: 40.6262, lng: -74.0299 };
    const ring = [[c.lng - 0.01, c.lat - 0.008], [c.lng + 0.01, c.lat - 0.008], [c.lng + 0.01, c.lat + 0.008], [c.lng - 0.01, c.lat + 0.008], [c.lng - 0.01, c.lat - 0.008]];
    const orla = await apiUser('Orla');
    const { community } = await orla.call<{ community: { id: string } }>('POST', '/api/communities', {
      name: 'Bay Ridge Helpers',
      slug: `bay-ridge-${Date.now()}`,
      joinPolicy: 'open',
      timezone: 'America/New_York',
      boundary: { type: 'Polygon', coordinates: [ring] },
    });
    const id = community.id;
    const pat = await apiUser('Pat');
    const nell = await apiUser('Nell');
    await pat.call('POST', `/api/communities/${id}/join`, {});
    await nell.call('POST', `/api/communities/${id}/join`, {});
    const windows = [{ start: `${tomorrow}T10:00:00-05:00`, end: `${tomorrow}T12:00:00-05:00` }];
    const { post: need } = await pat.call<{ post: { id: string } }>('POST', '/api/posts', { kind: 'need', category: 'errand', title: 'Pick up a parcel', location: { lat: c.lat + 0.001, lng: c.lng }, windows, details: {} });
    const { post: offer } = await nell.call<{ post: { id: string } }>('POST', '/api/posts', { kind: 'offer', category: 'errand', title: 'Errands on Fourth Avenue', location: { lat: c.lat - 0.001, lng: c.lng }, windows, details: {} });
    const { match } = await nell.call<{ match: { id: string } }>('POST', '/api/matches', { needId: need.id, offerId: offer.id });

    // Nell finds Pat's post on her map and reports it.
    // The map's place stays in the query as she goes from page to page.
    const here = `?lat=${c.lat}&lng=${c.lng}&zoom=15`;
    const page = await nell.phoneAs(`/${here}`);
    const listed = card(page, 'Pick up a parcel');
    await listed.click();
    await page.getByRole('heading', { name: 'Pick up a parcel' }).waitFor();
    await page.getByRole('button', { name: 'Report this post' }).click();
    const why = page.getByLabel('What is wrong? The organizers of this area will read it.');
    await why.waitFor();
    await accessible(page, 'the report form');
    // Only spaces: the server's problem is shown as it says it.
    await why.fill('   ');
    await page.getByRole('button', { name: 'Send report' }).click();
    await page.getByRole('alert').filter({ hasText: 'Say what is wrong, so organizers can act.' }).waitFor();
    await why.fill('Asks for money up front');
    await shot(page, 'report-post-form');
    await page.getByRole('button', { name: 'Send report' }).click();
    await page.getByRole('status').filter({ hasText: 'Thank you. The organizers of this area will look at it.' }).waitFor();
    await shot(page, 'report-post-thanks');

    // From their match, she reports Pat himself.
    await page.goto(`${e2e.server.url}/matches/${match.id}${here}`);
    await page.getByRole('button', { name: 'Report Pat' }).click();
    await page.getByLabel('What is wrong? The organizers of this area will read it.').fill('Rude in messages');
    await page.getByRole('button', { name: 'Send report' }).click();
    await page.getByRole('status').filter({ hasText: 'Thank you. The organizers of this area will look at it.' }).waitFor();

    // The organizer has both reports, and not who filed them (platform moderators alone know).
    const { items: flags } = await orla.call<{ items: { reason: string; post?: { id: string }; user?: { id: string }; reporter?: unknown }[] }>('GET', `/api/communities/${id}/flags`);
    expect(flags.find((f) => f.post?.id === need.id)).toMatchObject({ reason: 'Asks for money up front' });
    expect(flags.find((f) => f.user?.id === pat.id)).toMatchObject({ reason: 'Rude in messages' });
    expect(flags.every((f) => f.reporter === undefined && !JSON.stringify(f).includes(nell.id))).toBe(true);

    // Her volunteers list shows Nell's record and when she can next help.
    const org = await orla.phoneAs(`/communities/${id}`);
    const volunteers = org.getByRole('region', { name: 'Volunteers' });
    await volunteers.getByText('0 done · 0 cancelled after saying yes').waitFor();
    await volunteers.getByText(/^Errands on Fourth Avenue · next: \w{3}, \w{3} \d+, 10:00/).waitFor();
    await accessible(org, 'the organizer page with volunteers');
    await volunteers.scrollIntoViewIfNeeded();
    await shot(org, 'organizer-volunteers');

    // She blocks Pat, after being told plainly what that does.
    await page.goto(`${e2e.server.url}/posts/${need.id}${here}`);
    await page.getByRole('button', { name: 'Block Pat' }).click();
    await page.getByText("Block Pat? You will not see each other's posts and cannot be matched. You can undo this.").waitFor();
    await accessible(page, 'confirming a block');
    await shot(page, 'block-confirm');
    await page.getByRole('button', { name: 'Yes, block Pat' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await expect.poll(() => listed.count()).toBe(0);
    await card(page, 'Errands on Fourth Avenue').waitFor();
    await shot(page, 'map-after-block');

    // Under My matches, and undone.
    await page.getByRole('link', { name: 'My matches' }).click();
    const blocked = page.getByRole('region', { name: 'People you blocked' });
    await blocked.getByText('Pat', { exact: true }).waitFor();
    await accessible(page, 'people you blocked');
    await shot(page, 'people-blocked');
    await blocked.getByRole('button', { name: forWhom('Unblock', 'Pat') }).click();
    await blocked.getByText('You unblocked Pat.').waitFor();
    await blocked.getByText('You have not blocked anyone.').waitFor();
    await page.getByRole('link', { name: /Back to the map/ }).click();
    await listed.waitFor({ timeout: 15_000 });
  });
});
