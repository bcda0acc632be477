// Starting a community on a phone and inviting someone into it (issue 16,
// items 5 and 7): an organizer draws the area by tapping corners, moves and
// removes them with the outline previewed, lets the short name follow the
// name, creates it and shares an invite link; a second person opens the link
// signed out, signs up, lands on the join step, reads that organizers will
// see their exact places, and joins; then starts one from the visible map
// with a short name already taken, and takes the free one offered.
// Screenshots go to test/e2e/artifacts.
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { apiClient, axe, e2eSession, shot } from './browser';

const e2e = e2eSession();
// Flatbush, Brooklyn.
const VIEW = 'lat=40.6455&lng=-73.9565&zoom=15';
const NAME = "Flatbush Tenants' Union";

/** axe-core finds no serious or critical WCAG A/AA violation on what the page shows now. */
async function accessible(page: Page, where: string): Promise<void> {
  expect(await axe(page), where).toEqual([]);
}

/** The center of an element on the screen. */
async function centerOf(locator: Locator): Promise<{ x: number; y: number }> {
  const box = (await locator.boundingBox())!;
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags with the pointer from one place of the screen to another, in steps as a finger moves. */
async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();
}

describe('starting a community and inviting a neighbour', () => {
  it('an organizer draws the area, creates it, shares an invite link; the invitee signs up from it and joins, told what organizers see', async () => {
    const organizerPhone = await e2e.phone();
    await organizerPhone.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: e2e.server.url });
    const org = await organizerPhone.newPage();
    // The phone's share sheet, as the Web Share API opens it: what it was given is kept to check.
    await org.addInitScript(() => {
      const w = globalThis as unknown as { shared: unknown[]; navigator: { share?: (data: unknown) => Promise<void> } };
      w.shared = [];
      w.navigator.share = async (data: unknown) => {
        w.shared.push(data);
      };
    });
    await org.goto(`${e2e.server.url}/communities?${VIEW}`);
    await org.getByRole('heading', { name: 'Communities', exact: true }).waitFor();

    await org.getByRole('button', { name: 'Sign in' }).click();
    const dialog = org.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Create an account' }).click();
    await dialog.getByLabel('Your name').fill('Odessa');
    await dialog.getByLabel('Email').fill(`odessa-${Date.now()}@example.org`);
    await dialog.getByLabel('Password').fill('correct horse battery');
    await dialog.getByRole('button', { name: 'Create an account' }).click();
    await org.getByRole('button', { name: 'Sign out', exact: true }).waitFor();

    await org.getByText('Start a community').click();
    await org.getByLabel('Name', { exact: true }).fill(NAME);
    // The short name follows the name, untouched.
    const slug = org.getByLabel(/Short name for links/);
    await expect.poll(() => slug.inputValue()).toBe('flatbush-tenants-union');
    await org.getByLabel('Who can join').selectOption('invite');

    const map = org.getByRole('application', { name: 'Map for drawing the area' });
    await map.scrollIntoViewIfNeeded();
    const status = org.getByRole('status').filter({ hasText: /corners|Area:|crosses/ });
    await expect.poll(() => status.textContent()).toMatch(/No corners yet/);
    const corners = map.locator('.corner-marker');
    const box = (await map.boundingBox())!;
    // Four taps around the area, one right after another (not a double-tap zoom).
    for (const [x, y] of [
      [60, 60],
      [box.width - 60, 60],
      [box.width - 60, box.height - 60],
      [60, box.height - 60],
    ] as const) {
      await map.tap({ position: { x, y } });
    }
    await expect.poll(() => corners.count()).toBe(4);
    // Each corner where it was tapped.
    const placed = await corners.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().x + 18));
    [60, box.width - 60, box.width - 60, 60].forEach((x, i) => expect(Math.abs(placed[i]! - (box.x + x)), `corner ${i + 1}`).toBeLessThanOrEqual(1.5));
    await expect.poll(() => status.textContent()).toMatch(/^Area: about \d+(\.\d+)? km²$/);
    await expect.poll(() => map.locator('path.area-preview:not(.invalid)').count()).toBe(1);
    const square = await status.textContent();

    // Corner 3 dragged across the top edge: the outline crosses itself, and the preview says which edges.
    const third = await centerOf(corners.nth(2));
    await drag(org, third, { x: box.x + box.width / 2, y: box.y + 20 });
    await expect.poll(() => status.textContent()).toMatch(/crosses itself \(the edge from corner \d to \d meets the edge from corner \d to \d\)/);
    await expect.poll(() => map.locator('path.area-preview.invalid').count()).toBe(1);
    await shot(org, 'drawing-crossing');
    // Creating now is refused here, before anything is sent.
    await org.getByRole('button', { name: 'Create', exact: true }).click();
    await org.getByRole('alert').filter({ hasText: 'Fix the area first' }).waitFor();
    await org.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => status.textContent()).toBe(square);

    // Corner 3 dragged outward instead: still an area, a larger one.
    const again = await centerOf(corners.nth(2));
    await drag(org, again, { x: again.x + 20, y: again.y + 30 });
    await expect.poll(() => status.textContent()).not.toBe(square);
    expect(await status.textContent()).toMatch(/^Area: about/);
    const dragged = await status.textContent();

    // Tapping corner 4 removes it: a triangle, smaller.
    await corners.nth(3).tap();
    await expect.poll(() => corners.count()).toBe(3);
    await expect.poll(() => status.textContent()).not.toBe(dragged);
    expect(await status.textContent()).toMatch(/^Area: about/);
    // The corners as a list, for keyboards and screen readers, each with its remove button.
    await org.getByText('Corners (3)').click();
    await expect.poll(() => org.getByRole('button', { name: /^Remove Corner \d$/ }).count()).toBe(3);
    await accessible(org, 'the new community form with an area drawn');
    await shot(org, 'drawing-area');

    await org.getByRole('button', { name: 'Create', exact: true }).click();
    await org.getByRole('heading', { name: NAME }).waitFor();
    expect(await org.getByText('Admin', { exact: false }).first().isVisible()).toBe(true);

    // An invite link: copied, shared, and as a QR code.
    await org.getByRole('button', { name: 'New invite link' }).click();
    const link = org.getByLabel(/^Invite link \([2-9A-Z]{10}\)$/);
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(new RegExp(`^${e2e.server.url}/communities/[0-9a-f-]{36}\\?invite=[2-9A-HJKMNP-Z]{10}$`));
    await org.getByRole('button', { name: /^Copy [2-9A-Z]{10}$/ }).click();
    await org.getByRole('status').filter({ hasText: 'Copied. Send it to the people you invite.' }).waitFor();
    expect(await org.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(url);
    await org.getByRole('button', { name: /^Share… [2-9A-Z]{10}$/ }).click();
    await expect.poll(() => org.evaluate(() => (globalThis as unknown as { shared: unknown[] }).shared)).toEqual([
      { title: `Join ${NAME} on Aidmap`, text: `You are invited to join ${NAME}, a mutual-aid community on Aidmap.`, url },
    ]);
    const qr = org.getByRole('img', { name: `QR code of the invite link to ${NAME}` });
    await qr.scrollIntoViewIfNeeded();
    expect(await qr.isVisible()).toBe(true);
    await accessible(org, 'the community page with an invite link');
    await shot(org, 'invite-link');

    // The invitee opens the link, signed out.
    const guest = await (await e2e.phone()).newPage();
    await guest.goto(url);
    await guest.getByRole('heading', { name: `Join ${NAME}` }).waitFor();
    // The code came with the link; the address no longer carries it.
    expect(await guest.getByLabel('Invite code').inputValue()).toBe(url.split('invite=')[1]);
    expect(guest.url()).not.toContain('invite=');
    await guest.getByText('the exact places of your posts', { exact: false }).waitFor();
    await accessible(guest, 'the join step, signed out');
    await shot(guest, 'join-step-signed-out');

    await guest.getByRole('button', { name: 'Sign in to join' }).click();
    const signIn = guest.getByRole('dialog');
    await signIn.getByRole('button', { name: 'Create an account' }).click();
    await signIn.getByLabel('Your name').fill('Gus');
    await signIn.getByLabel('Email').fill(`gus-${Date.now()}@example.org`);
    await signIn.getByLabel('Password').fill('correct horse battery');
    await signIn.getByRole('button', { name: 'Create an account' }).click();
    await guest.getByRole('button', { name: 'Sign out', exact: true }).waitFor();

    // Back on the join step, now to join; it waits for the confirm.
    const join = guest.getByRole('button', { name: `Join ${NAME}` });
    await join.click();
    await guest.getByRole('alert').filter({ hasText: 'Tick the box above to join' }).waitFor();
    await guest.getByLabel(`I understand that the organizers of ${NAME} will see the exact places of my posts.`).check();
    await join.click();
    await guest.getByRole('status').filter({ hasText: `You joined ${NAME}. Its organizers now see the exact places of your posts.` }).waitFor();
    await guest.getByText('Member', { exact: false }).first().waitFor();
    await shot(guest, 'joined');

    // The organizer's count says so.
    const api = apiClient(e2e.server.url);
    const id = url.match(/communities\/([0-9a-f-]{36})/)![1];
    const { community } = await api.call<{ community: { memberCount: number; slug: string; joinPolicy: string } }>('GET', `/api/communities/${id}`);
    expect(community).toMatchObject({ memberCount: 2, slug: 'flatbush-tenants-union', joinPolicy: 'invite' });

    // The new member starts a neighbouring one from the visible map (the way without tapping the map),
    // asks for the short name already taken, and takes the free one offered.
    await guest.goto(`${e2e.server.url}/communities?${VIEW}`);
    await guest.getByText('Start a community').click();
    await guest.getByLabel('Name', { exact: true }).fill('Flatbush Tenants Union East');
    await guest.getByLabel(/Short name for links/).fill('Flatbush Tenants Union');
    await guest.getByRole('button', { name: 'Start from the visible map' }).click();
    await expect.poll(() => guest.locator('.corner-marker').count()).toBe(4);
    await guest.getByRole('status').filter({ hasText: /^Area: about/ }).waitFor();
    await guest.getByRole('button', { name: 'Create', exact: true }).click();
    await guest.getByText('is taken; "flatbush-tenants-union-2" is free').waitFor();
    await guest.getByRole('button', { name: 'Use “flatbush-tenants-union-2”' }).click();
    expect(await guest.getByLabel(/Short name for links/).inputValue()).toBe('flatbush-tenants-union-2');
    await guest.getByRole('button', { name: 'Create', exact: true }).click();
    await guest.getByRole('heading', { name: 'Flatbush Tenants Union East' }).waitFor();
  });
});
