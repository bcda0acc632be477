// Two neighbors on phones, end to end: A asks for a ride, B (watching the
// same area) sees it appear live, offers, A accepts, they talk, and only then
// does B see A's exact place. Screenshots of each step go to test/e2e/artifacts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axe, launch, phone, type Server, shot, startServer } from './browser';

let server: Server;
let browser: Browser;
const contexts: BrowserContext[] = [];
const VIEW = '/?lat=40.6694&lng=-73.9422&zoom=15';
const tomorrow = new Date(Date.now() + 86_400_000).toLocaleDateString('en-CA', { timeZone: 'America/New_York' });

beforeAll(async () => {
  server = await startServer();
  browser = await launch();
});
afterAll(async () => {
  for (const c of contexts) {
    await c.close().catch(() => {});
  }
  await browser?.close();
  await server?.stop();
});

async function open(path = VIEW, locale?: string): Promise<Page> {
  const context = await phone(browser, locale ? { locale } : {});
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${server.url}${path}`);
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
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
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
    await b.getByRole('link', { name: /^Open.*Ride to the clinic$/ }).waitFor({ timeout: 15_000 });
    expect(await b.getByRole('button', { name: 'Need: Ride — Ride to the clinic' }).count()).toBe(1);
    await shot(b, 'b-sees-need-live');
    await b.getByRole('link', { name: /^Open.*Ride to the clinic$/ }).click();
    await b.getByRole('heading', { name: 'Ride to the clinic' }).waitFor();
    expect(await b.getByText(/^Approximate place/).isVisible()).toBe(true);
    expect(await b.getByText(/^Exact place/).count()).toBe(0);
    await b.getByLabel('Message (optional)').fill('I drive past there at 4.');
    await b.getByRole('button', { name: 'Propose' }).click();
    await b.getByText('Proposed, waiting for an answer').waitFor();
    await shot(b, 'b-proposed');
    await accessible(b, 'a match page');

    // A is told wherever she is, and accepts.
    const notice = a.getByRole('link', { name: 'Bea proposed a match' });
    await notice.waitFor({ timeout: 15_000 });
    await shot(a, 'a-notice');
    await notice.click();
    await a.getByRole('button', { name: 'Accept' }).click();
    await a.getByText('Accepted', { exact: true }).waitFor();
    await shot(a, 'a-accepted');

    // B's page turns accepted live, and now shows A's exact place with directions.
    await b.getByText('Accepted', { exact: true }).waitFor({ timeout: 15_000 });
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
    await watcher.getByRole('link', { name: /^Open.*Rides to the pharmacy$/ }).waitFor({ timeout: 15_000 });

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
    await watcher.getByRole('link', { name: /^Open.*Rides to the pharmacy and back$/ }).waitFor({ timeout: 15_000 });
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
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: jar.cookie }, body: JSON.stringify(body) });
      jar.cookie ||= (res.headers.get('set-cookie') ?? '').split(';')[0]!;
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    };
    await api('/api/auth/signup', { email: `cam-${Date.now()}@example.org`, password: 'correct horse battery', displayName: 'Cam' });
    const windows = [{ start: `${tomorrow}T10:00:00-05:00`, end: `${tomorrow}T12:00:00-05:00` }];
    const near = { lat: 40.7001, lng: -73.9901 };
    await api('/api/posts', { kind: 'need', category: 'meal', title: 'Soup for a sick neighbor', location: near, windows, capacity: 1, details: {} });
    await api('/api/posts', { kind: 'offer', category: 'grocery', title: 'Grocery run on Saturday', location: { lat: 40.7003, lng: -73.9899 }, windows, details: {} });

    const context = await phone(browser);
    contexts.push(context);
    // No tile server reachable: the map's background fails, everything else works.
    await context.route(/tile\.openstreetmap\.org/, (route) => route.abort());
    const page = await context.newPage();
    // Zoom 15: wide enough that both public points (150–400 m from the true ones) are surely in view.
    await page.goto(`${server.url}/?lat=40.7002&lng=-73.99&zoom=15`);
    await page.getByRole('status').filter({ hasText: /posts? in view/ }).waitFor();
    expect(page.url()).toContain('lat=40.7002');
    expect(page.url()).toContain('zoom=15');
    await page.getByText('The map background cannot load').waitFor();
    await shot(page, 'map-no-tiles');
    const titles = () => page.locator('.card .title').allInnerTexts();
    expect((await titles()).sort()).toEqual(['Grocery run on Saturday', 'Soup for a sick neighbor']);

    await page.getByText('Needs', { exact: true }).click();
    await expect.poll(titles, { timeout: 10_000 }).toEqual(['Soup for a sick neighbor']);
    await page.getByText('All', { exact: true }).click();
    await page.getByText('Groceries', { exact: true }).click();
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
    const context = await phone(browser);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${server.url}${VIEW}`);
    const manifest = await page.evaluate(() => (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(a: string): string } | null } }).document.querySelector('link[rel=manifest]')?.getAttribute('href'));
    expect(manifest).toBe('/manifest.webmanifest');
    const res = await fetch(`${server.url}/manifest.webmanifest`);
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
    await org.getByText('Start a community for the area on the map').click();
    await org.getByLabel('Name', { exact: true }).fill('Crown Heights Mutual Aid');
    await org.getByLabel(/Short name for links/).fill(`ch-${Date.now()}`);
    await accessible(org, 'the communities page');
    await org.getByRole('button', { name: 'Create' }).click();
    await org.getByRole('heading', { name: 'Crown Heights Mutual Aid' }).waitFor();
    const communityUrl = org.url();

    // Two neighbors join it from the Communities page; one asks for a ride, the other offers one.
    const join = async (page: Page) => {
      await page.getByRole('link', { name: 'Communities' }).click();
      await page.getByRole('heading', { name: 'Communities here' }).waitFor();
      await page.getByRole('button', { name: /^Join\b.*Crown Heights Mutual Aid/ }).click();
      await page.getByText('You are a member.').waitFor();
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
    await org.getByRole('link', { name: 'Ride to the pharmacy' }).waitFor();
    await accessible(org, 'the organizer page');
    await org.getByRole('button', { name: 'Make a plan' }).click();
    await org.getByText(/1 of \d+ needs can be served/).waitFor();
    await shot(org, 'organizer-plan');
    await org.getByRole('button', { name: 'Propose these matches' }).click();
    await org.getByText('1 proposals sent; the helpers will answer.').waitFor();
    await shot(org, 'organizer-applied');

    // The helper hears of it wherever she is, and can accept.
    const notice = helper.getByRole('link', { name: 'An organizer proposed a match with Abe' });
    await notice.waitFor({ timeout: 15_000 });
    await notice.click();
    await helper.getByRole('button', { name: 'Accept' }).click();
    await helper.getByText('Accepted', { exact: true }).waitFor();
    await shot(helper, 'helper-accepted-organizer-proposal');
  });
});
