// The map page by keyboard (issue 16, item 9): the skip link says where it
// goes; the filters are a few Tabs from the page's start (the markers used
// to be some 45 Tab stops before them); the markers are one Tab stop, the
// arrow keys go from one to the next, and Enter or Space on one does what a
// tap does: the list opens on its card. Screenshots: keyboard-*.png.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiClient, axe, e2eSession, shot, type PageDocument, signInPhone } from './browser';

// page.evaluate's functions run in the page; its document, typed in browser.ts.
declare const document: PageDocument;
declare const localStorage: { setItem(key: string, value: string): void };

const e2e = e2eSession();
const AT = { lat: 40.6694, lng: -73.9422 };
const VIEW = `/?lat=${AT.lat}&lng=${AT.lng}&zoom=15`;
const soon = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const TITLES = ['Leaky tap fixed', 'Dinner for two', 'Algebra homework help', 'Walk to the pharmacy'];

/** What has the focus: its accessible name as the page gives it (aria-label, title, or text). */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el ? (el.getAttribute('aria-label') ?? el.getAttribute('title') ?? el.textContent ?? '').trim() : '';
  });

/** The map page loaded afresh (so Tab starts from the page's start), its list and markers drawn. */
async function fresh(page: Page): Promise<void> {
  await page.goto(`${e2e.server.url}${VIEW}`);
  await page.locator('a.card').first().waitFor();
  await page.locator('.leaflet-marker-icon').first().waitFor();
}

/** Tabs from the start of a freshly loaded page until `found` holds of the focused element; how many it took (at most 60). */
async function tabsUntil(page: Page, found: () => Promise<boolean>): Promise<number> {
  await fresh(page);
  for (let n = 1; n <= 60; n++) {
    await page.keyboard.press('Tab');
    if (await found()) {
      return n;
    }
  }
  return Infinity;
}

/** Who wrote the posts: signed in as them, the markers stand at the posts' exact places, apart (a visitor's public points may cluster). */
let author: ReturnType<typeof apiClient>;

const onFirstFilter = (page: Page) => () => page.evaluate(() => document.activeElement?.name === 'kind');

describe('the map page by keyboard', () => {
  it('says where the skip link goes, and reaches the filters in a few Tabs, before any marker', async () => {
    const api = (author = apiClient(e2e.server.url));
    await api.call('POST', '/api/auth/signup', { email: `kb-${Date.now()}@example.org`, password: 'correct horse battery', displayName: 'Ines' });
    const categories = ['repair', 'meal', 'tutoring', 'errand'];
    for (const [i, title] of TITLES.entries()) {
      // North to south, 440 m apart: apart on the map at zoom 15, and each in the box with its public point (at most 400 m off).
      const at = { lat: AT.lat + (1.5 - i) * 0.004, lng: AT.lng };
      await api.call('POST', '/api/posts', { kind: i % 2 ? 'need' : 'offer', category: categories[i], title, location: at, radiusM: 2000, windows: [{ start: soon(24 + i), end: soon(26 + i) }], capacity: 1, details: i === 2 ? { subject: 'Algebra' } : {} });
    }

    const context = await e2e.phone();
    // Someone who has seen the introduction (a first visitor's has one more stop: its "Got it").
    await context.addInitScript(() => localStorage.setItem('aidmap.introSeen', '1'));
    const page = await context.newPage();
    await fresh(page);

    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Skip to the filters and the list of posts');
    await shot(page, 'keyboard-skip-link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sheet');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await onFirstFilter(page)()).toBe(true);

    // Without the skip link: the skip link, the language, signing in, the sheet's handle, the filter.
    expect(await tabsUntil(page, onFirstFilter(page))).toBeLessThanOrEqual(5);
    const markerFirst = await tabsUntil(page, () => page.evaluate(() => document.activeElement?.classList.contains('leaflet-marker-icon') ?? false));
    const listFirst = await tabsUntil(page, () => page.evaluate(() => document.activeElement?.classList.contains('card') ?? false));
    expect(listFirst).toBeLessThan(markerFirst);
  });

  it('makes the markers one Tab stop, moves between them with the arrows, and opens a post’s card with Enter or Space', async () => {
    const context = await e2e.phone();
    const cookie = author.cookie();
    await signInPhone(context, cookie, e2e.server.url);
    const page = await context.newPage();
    await page.goto(`${e2e.server.url}${VIEW}`);
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    const markers = page.locator('.leaflet-marker-icon');
    await markers.nth(3).waitFor();
    // One marker in the Tab order, the others reached by arrows.
    expect(await page.locator('.leaflet-marker-icon[tabindex="0"]').count()).toBe(1);
    expect(await page.locator('.leaflet-marker-icon[tabindex="-1"]').count()).toBe((await markers.count()) - 1);

    // The list folded away: a marker chosen by keyboard opens it on the marker's card, as a tap does.
    await page.getByRole('button', { name: 'Filters' }).click();
    expect(await page.locator('#sheet-body').isHidden()).toBe(true);
    await page.locator('.leaflet-marker-icon[tabindex="0"]').focus();
    const first = await focused(page);
    await page.keyboard.press('ArrowRight');
    const second = await focused(page);
    expect(second).not.toBe(first);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('tabindex'))).toBe('0');
    expect(await page.locator('.leaflet-marker-icon[tabindex="0"]').count()).toBe(1);
    await page.keyboard.press('Enter');
    const title = second.split(' — ').pop()!;
    expect(TITLES).toContain(title);
    const selected = page.locator('a.card.selected', { hasText: title });
    await selected.waitFor();
    expect(await selected.isVisible()).toBe(true);
    // The focus stays on the marker, now marked as chosen.
    expect(await focused(page)).toBe(second);
    expect(await page.evaluate(() => document.activeElement?.querySelector('.pin')?.classList.contains('selected'))).toBe(true);
    expect(await axe(page), 'the map with a marker chosen by keyboard').toEqual([]);
    await shot(page, 'keyboard-marker-enter');

    // Home, then Space: the first marker's post.
    await page.keyboard.press('Home');
    const home = await focused(page);
    await page.keyboard.press(' ');
    await page.locator('a.card.selected', { hasText: home.split(' — ').pop()! }).waitFor();

    // One Tab from a marker leaves the markers (to the map's zoom buttons).
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('leaflet-marker-icon'))).toBe(false);
  });
});
