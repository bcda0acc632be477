// Places people can read (issue 16, items 3 and 9), on phones, with the
// server asking a geocoder of Nominatim's kind (test/geocoder.ts): the
// author finds her place and her ride's destination by address and reads
// them back as addresses; a ride need cannot be sent without its
// destination, and says so at the field; the need form speaks a needer's
// words; a neighbour reads only the street and neighbourhood of the public
// point, in their own language; an alert's place reads as its address. Screenshots go to test/e2e/artifacts (places-*.png).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { apiClient, axe, e2eSession, shot, signInPhone } from './browser';
import { addressPoint, TestGeocoder } from '../geocoder';
import { distanceM } from '../../server/geo/geo';

let geocoder: TestGeocoder;
beforeAll(async () => {
  geocoder = await TestGeocoder.start();
});
afterAll(async () => {
  await geocoder?.stop();
});
// Started after the geocoder (its env is read when the server starts).
const e2e = e2eSession(() => ({ GEOCODER_URL: geocoder.url, GEOCODER_INTERVAL_MS: '0' }));

const tomorrow = new Date(Date.now() + 86_400_000).toLocaleDateString('en-CA', { timeZone: 'America/New_York' });
const HOME_LABEL = 'Corner Deli, 1104 St Johns Place, Crown Heights, New York 11213';
const DEST_LABEL = 'Corner Deli, 1520 Sterling Place, Crown Heights, New York 11213';

/** axe-core finds no serious or critical WCAG A/AA violation on what the page shows now. */
async function accessible(page: Page, where: string): Promise<void> {
  expect(await axe(page), where).toEqual([]);
}

/** A phone signed in as a new person, opened at `path`. */
async function signedInPhone(name: string, path: string): Promise<Page> {
  const api = apiClient(e2e.server.url);
  await api.call('POST', '/api/auth/signup', { email: `${name.toLowerCase()}-${Date.now()}@example.org`, password: 'correct horse battery', displayName: name });
  const context = await e2e.phone();
  const cookie = api.cookie();
  await signInPhone(context, cookie, e2e.server.url);
  const page = await context.newPage();
  await page.goto(`${e2e.server.url}${path}`);
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
  return page;
}

describe('places people can read', () => {
  it('the author searches addresses and reads them back; the destination is required; a neighbour reads only the street and neighbourhood', async () => {
    const ann = await signedInPhone('Ann', '/new');
    await ann.getByLabel('Ask for help').check();
    await ann.getByLabel('Category').selectOption('ride');

    // A need's words, not an offer's.
    await ann.getByLabel('How far from here help can come').waitFor();
    await ann.getByLabel('People riding').waitFor();
    await ann.getByLabel('Offer help').check();
    await ann.getByLabel('How far you can go').waitFor();
    await ann.getByLabel('Seats').waitFor();
    expect(await ann.getByLabel('People riding').count()).toBe(0);
    await ann.getByLabel('Ask for help').check();
    await ann.getByLabel('Title').fill('Ride to the clinic');

    // The place, by address (Enter searches; it does not send the form).
    const place = ann.getByLabel('Find the place by its address', { exact: true });
    await place.fill('1104 st johns');
    await place.press('Enter');
    await ann.getByRole('button', { name: HOME_LABEL }).click();
    await ann.getByRole('status').filter({ hasText: `Place: ${HOME_LABEL}` }).waitFor();

    // The destination is marked required, and the form is not sent without it.
    const destination = ann.getByLabel('Destination (required)', { exact: true });
    expect(await destination.getAttribute('aria-required')).toBe('true');
    await ann.getByRole('textbox', { name: 'Date', exact: true }).fill(tomorrow);
    await ann.getByLabel('From', { exact: true }).fill('09:00');
    await ann.getByLabel('To', { exact: true }).fill('10:00');
    await ann.getByRole('button', { name: 'Publish' }).click();
    await ann.getByText('A ride need says where it goes: search the destination’s address, or press “Destination” and tap the map.').waitFor();
    expect(await destination.getAttribute('aria-invalid')).toBe('true');
    expect(await destination.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    expect(new URL(ann.url()).pathname).toBe('/new');
    await accessible(ann, 'the need form, destination missing');
    await shot(ann, 'places-destination-required');

    await destination.fill('1520 sterling');
    await ann.getByRole('button', { name: 'Search: Destination (required)' }).click();
    await ann.getByRole('button', { name: DEST_LABEL }).click();
    await ann.getByRole('status').filter({ hasText: `Destination (required): ${DEST_LABEL}` }).waitFor();
    expect(await destination.getAttribute('aria-invalid')).toBeNull();
    await accessible(ann, 'the need form, places chosen by address');
    await shot(ann, 'places-chosen');

    await ann.getByRole('button', { name: 'Publish' }).click();
    await ann.getByRole('heading', { name: 'Ride to the clinic' }).waitFor();
    await ann.getByText(`Exact place: ${HOME_LABEL}`).waitFor();
    await ann.getByText(`Destination: ${DEST_LABEL}`).waitFor();
    await accessible(ann, "the author's post page, with addresses");
    await shot(ann, 'places-author-reads-addresses');
    const id = new URL(ann.url()).pathname.split('/').pop()!;
    // Editing, the form reads the places back as addresses too.
    await ann.getByRole('link', { name: 'Edit this post' }).click();
    await ann.getByRole('status').filter({ hasText: `Place: ${HOME_LABEL} · Destination (required): ${DEST_LABEL}` }).waitFor();
    await ann.goBack();
    await ann.getByText(`Exact place: ${HOME_LABEL}`).waitFor();

    // A neighbour (not signed in, in Spanish): street, neighbourhood and town of the public point, never the house.
    const before = geocoder.reversePoints().length;
    const bea = await (await e2e.phone({ locale: 'es-ES' })).newPage();
    await bea.goto(`${e2e.server.url}/posts/${id}`);
    await bea.getByRole('heading', { name: 'Ride to the clinic' }).waitFor();
    const where = bea.getByText(/^Cerca de /).first();
    await where.waitFor();
    const text = (await where.textContent())!;
    expect(text).toMatch(/^Cerca de [A-Za-z ]+, (Crown|Prospect) Heights, Nueva York \(a menos de \d+ m\)$/);
    const destinationText = (await bea.getByText(/^Destino: cerca de /).textContent())!;
    expect(destinationText).toMatch(/^Destino: cerca de [A-Za-z ]+, (Crown|Prospect) Heights, Nueva York$/);
    for (const line of [text, destinationText]) {
      expect(line).not.toMatch(/1104|1520|11213|Corner Deli/);
    }
    // The geocoder heard only of points at least 150 m from Ann's.
    for (const p of geocoder.reversePoints().slice(before)) {
      expect(distanceM(p, addressPoint(1104, 'St Johns Place'))).toBeGreaterThan(149);
    }
    await accessible(bea, "a neighbour's view of the post");
    await shot(bea, 'places-neighbour-reads-street');
  });

  it("an alert's place reads as its address, not as coordinates", async () => {
    const home = addressPoint(1104, 'St Johns Place');
    const cal = await signedInPhone('Cal', `/account?lat=${home.lat}&lng=${home.lng}&zoom=17`);
    await cal.getByRole('heading', { name: 'New alert' }).waitFor();
    await cal.getByLabel('The map\'s center').check();
    await cal.getByRole('group', { name: 'Kinds of help' }).getByLabel('Meal', { exact: true }).check();
    await cal.getByRole('button', { name: 'Add the alert' }).click();
    await cal.getByRole('status').filter({ hasText: 'Alert added.' }).waitFor();
    const row = cal.getByText(/^Around .*St Johns Place/);
    await row.waitFor();
    await row.scrollIntoViewIfNeeded();
    expect(await cal.getByText(/^Around -?\d+\.\d+, -?\d+\.\d+$/).count()).toBe(0);
    await accessible(cal, 'alerts, with their places as addresses');
    await shot(cal, 'places-alert-address');
  });
});
