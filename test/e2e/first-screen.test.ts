// The map's first screen on a phone (issue 16, item 8, in part): the
// markers' letters have a legend, in the visitor's language; tapping a
// card in the list opens its post; tapping a marker while the list is
// folded away opens the list on its card; the map's credits are not
// under the list.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiClient, axe, e2eSession, shot } from './browser';

const e2e = e2eSession();
const AT = { lat: 40.6694, lng: -73.9422 };
const VIEW = `/?lat=${AT.lat}&lng=${AT.lng}&zoom=15`;
const soon = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

const overlaps = (a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

async function opened(page: Page): Promise<void> {
  await page.goto(`${e2e.server.url}${VIEW}`);
  await page.locator('a.card').first().waitFor();
}

describe('the first screen', () => {
  it('explains the markers, opens a post from its card, and answers a marker tapped with the list folded', async () => {
    const api = apiClient(e2e.server.url);
    await api.call('POST', '/api/auth/signup', { email: `lee-${Date.now()}@example.org`, password: 'correct horse battery', displayName: 'Lee' });
    await api.call('POST', '/api/posts', { kind: 'offer', category: 'repair', title: 'Bike and chair repairs', location: AT, radiusM: 2000, windows: [{ start: soon(24), end: soon(27) }], capacity: 1, details: {} });

    const page = await (await e2e.phone()).newPage();
    await opened(page);

    // The legend: each category beside the letter its markers show, and what needs and offers look like.
    await page.getByText("Each marker shows its category's letter").waitFor();
    const repair = page.locator('label.chip', { hasText: 'Repair' });
    expect((await repair.locator('.legend-pin').textContent())?.trim()).toBe('F');
    expect(await page.locator('.leaflet-marker-icon .pin.cat-repair').textContent()).toBe('F');
    expect(await axe(page), 'the map page with its legend').toEqual([]);
    await shot(page, 'first-screen-legend');

    // The map's credits are in sight, not under the list's sheet.
    const credits = await page.locator('.leaflet-control-attribution').boundingBox();
    const sheet = await page.locator('section.sheet').boundingBox();
    expect(credits).not.toBeNull();
    expect(overlaps(credits!, sheet!)).toBe(false);

    // A card is a link to its post: tapping it opens the post.
    await page.locator('a.card', { hasText: 'Bike and chair repairs' }).click();
    await page.getByRole('heading', { name: 'Bike and chair repairs' }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/posts\/[0-9a-f-]{36}$/);

    // Back on the map, the list folded away: tapping the marker opens the list on its card, marked.
    await opened(page);
    await page.getByRole('button', { name: 'Filters' }).click();
    expect(await page.locator('#sheet-body').isHidden()).toBe(true);
    await page.locator('.leaflet-marker-icon .pin.cat-repair').click();
    const selected = page.locator('a.card.selected', { hasText: 'Bike and chair repairs' });
    await selected.waitFor();
    expect(await selected.isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: /^On map.*Bike and chair repairs$/ }).getAttribute('aria-pressed')).toBe('true');
    await shot(page, 'first-screen-marker-tapped');
  });

  it('reads the legend in Spanish, with the same letters', async () => {
    const page = await (await e2e.phone({ locale: 'es-ES' })).newPage();
    await page.goto(`${e2e.server.url}${VIEW}`);
    await page.getByText('Cada marcador muestra la letra de su categoría').waitFor();
    const chip = page.locator('label.chip', { has: page.locator('.legend-pin', { hasText: /^F$/ }) });
    expect((await chip.textContent())?.replace('F', '').trim()).toBe('Reparación');
  });
});
