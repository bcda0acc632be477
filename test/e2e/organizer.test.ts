// An organizer's numbers agree (issue 16, item 6): triage, the plan and the
// coverage map count the same helpers — members' open offers whose area and
// times fit a need — and say so; a plan row names the helper and the time
// (on the reader's clock) besides the distance; a need tapped in triage
// opens its helpers, to propose one by hand, and a note to its author.
// A non-member's offer next to the need is counted by none of them.
// Screenshots go to test/e2e/artifacts (E2E_ARTIFACTS).
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { destinationPoint } from '../../server/geo/geo';
import { apiClient, axe, e2eSession, shot, signInPhone } from './browser';

const e2e = e2eSession();
const PASSWORD = 'correct horse battery';
const ZONE = 'America/New_York';
// Crown Heights, Brooklyn.
const NEED_AT = { lat: 40.6702, lng: -73.9442 };
const AREA = { type: 'Polygon', coordinates: [[[-73.96, 40.66], [-73.93, 40.66], [-73.93, 40.68], [-73.96, 40.68], [-73.96, 40.66]]] };

/** axe-core finds no serious or critical WCAG A/AA violation on what the page shows now. */
async function accessible(page: Page, where: string): Promise<void> {
  expect(await axe(page), where).toEqual([]);
}

/** How the page writes a window on its own clock (the browser's Intl, so the same ICU as the app's). */
function windowInPage(page: Page, start: string, end: string): Promise<string> {
  return page.evaluate(
    ([s, e]) =>
      new Intl.DateTimeFormat('en-US', { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' }).formatRange(new Date(s!), new Date(e!)),
    [start, end],
  );
}

describe("an organizer's tools agree, and act on a need", () => {
  it('triage, plan and coverage count the same helpers; a plan row names helper and time; a triage need proposes a helper and writes to its author', async () => {
    const stamp = Date.now();
    const person = async (name: string) => {
      const api = apiClient(e2e.server.url);
      const email = `${name.toLowerCase()}-${stamp}@example.org`;
      await api.call('POST', '/api/auth/signup', { email, password: PASSWORD, displayName: name });
      return { api, email };
    };
    const [olga, nora, hal, lone, stan] = await Promise.all(['Olga', 'Nora', 'Hal', 'Lone', 'Stan'].map(person));
    const { community } = await olga!.api.call<{ community: { id: string } }>('POST', '/api/communities', {
      name: 'Crown Heights Mutual Aid',
      boundary: AREA,
      timezone: ZONE,
      joinPolicy: 'open',
    });
    for (const p of [nora!, hal!, lone!]) {
      await p.api.call('POST', `/api/communities/${community.id}/join`, {});
    }
    // Tomorrow on New York's clock: a dinner needed 17:00–19:00, a cook free 16:00–20:00 800 m north.
    const tomorrow = DateTime.now().setZone(ZONE).plus({ days: 1 }).startOf('day');
    const at = (h: number) => tomorrow.set({ hour: h }).toISO()!;
    const post = async (who: { api: ReturnType<typeof apiClient> }, body: Record<string, unknown>) =>
      (await who.api.call<{ post: { id: string } }>('POST', '/api/posts', { radiusM: 2000, capacity: 1, ...body })).post.id;
    const dinner = await post(nora!, { kind: 'need', category: 'meal', title: 'Dinner for two', location: NEED_AT, windows: [{ start: at(17), end: at(19) }], details: {} });
    await post(hal!, { kind: 'offer', category: 'meal', title: 'Soup for the week', capacity: 4, location: destinationPoint(NEED_AT, 0, 800), windows: [{ start: at(16), end: at(20) }], details: {} });
    // A non-member's offer right there: none of the organizer's tools counts it.
    await post(stan!, { kind: 'offer', category: 'meal', title: 'Stew from a neighbour', capacity: 4, location: destinationPoint(NEED_AT, 90, 300), windows: [{ start: at(16), end: at(20) }], details: {} });
    await post(lone!, { kind: 'need', category: 'tutoring', title: 'Algebra help', location: NEED_AT, windows: [{ start: at(15), end: at(16) }], details: { subject: 'Algebra' } });

    const phone = await e2e.phone();
    const page = await phone.newPage();
    await page.goto(`${e2e.server.url}/communities/${community.id}`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Email').fill(olga!.email);
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();

    // Triage: who is counted is said; the dinner has one helper (Hal, not Stan), the algebra none.
    const triage = page.getByRole('region', { name: 'Needs waiting for help' });
    await triage.getByText(/A helper is a member's open offer in those days whose area reaches the need and whose times meet it/).waitFor();
    const dinnerItem = triage.getByRole('listitem').filter({ has: page.getByRole('button', { name: 'Helpers and actions for Dinner for two' }) });
    await expect.poll(() => dinnerItem.textContent()).toMatch(/1 helper fits/);
    const algebraItem = triage.getByRole('listitem').filter({ has: page.getByRole('button', { name: 'Helpers and actions for Algebra help' }) });
    await expect.poll(() => algebraItem.textContent()).toMatch(/No member's offer fits/);
    await accessible(page, 'triage');
    await shot(page, 'organizer-triage');

    // The plan of the same 14 days: one of the two needs, by Hal, at the dinner's time, 800 m.
    const planSection = page.getByRole('region', { name: 'Plan who helps whom' });
    await planSection.scrollIntoViewIfNeeded();
    await expect.poll(() => planSection.getByLabel('Needs and offers of').inputValue()).toBe('fortnight');
    await planSection.getByRole('button', { name: 'Make a plan' }).click();
    await expect
      .poll(() => planSection.getByRole('status').textContent())
      .toMatch(/^1 of 2 needs of members can be served by members' offers; 0\.8 km in all\. This is the best possible plan\.$/);
    const row = planSection.getByRole('listitem').filter({ hasText: 'Dinner for two' });
    const when = await windowInPage(page, at(17), at(19));
    await expect.poll(() => row.textContent()).toContain('Hal · Soup for the week');
    expect(await row.textContent()).toContain(`${when} · 800 m`);
    expect(await planSection.textContent()).not.toContain('Stew');
    await accessible(page, 'the plan');
    await shot(page, 'organizer-plan');

    // Coverage of the week counts the same: one need no member's offer can serve.
    await page.getByRole('link', { name: 'Where help is missing' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: /areas/ }).textContent()).toMatch(/no member's offer can serve 1 of the needs\.$/);
    await page.getByText(/Triage and plans count the same way/).waitFor();
    await accessible(page, 'coverage');
    await shot(page, 'organizer-coverage');
    await page.getByRole('link', { name: /Back to Crown Heights Mutual Aid/ }).click();

    // The dinner, tapped: who asked, its helper with time and distance, proposed by hand; a note to Nora.
    const toggle = page.getByRole('button', { name: 'Helpers and actions for Dinner for two' });
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const panel = page.locator(`#need-${dinner}`);
    await panel.getByText('Asked by Nora').waitFor();
    const helper = panel.getByRole('listitem').filter({ hasText: 'Hal · Soup for the week' });
    expect(await helper.textContent()).toContain(`${when} · 800 m`);
    expect(await panel.textContent()).not.toContain('Stew');
    await accessible(page, 'a triage need opened');
    await shot(page, 'organizer-need');
    await helper.getByRole('button', { name: 'Propose Hal' }).click();
    await panel.getByRole('status').filter({ hasText: 'Proposed to Hal; they will answer, and Nora is told.' }).waitFor();
    await helper.getByText('Proposed: waiting for Hal').waitFor();
    expect(await helper.getByRole('button').count()).toBe(0);
    // Hal is asked to answer it.
    const matches = await hal!.api.call<{ items: { status: string; needId: string }[] }>('GET', '/api/matches');
    expect(matches.items.filter((m) => m.needId === dinner).map((m) => m.status)).toEqual(['proposed']);

    await panel.getByLabel('Your message').fill('Hal can bring soup tomorrow at five. Is that all right?');
    await panel.getByRole('button', { name: 'Send' }).click();
    await panel.getByRole('status').filter({ hasText: 'Sent to Nora.' }).waitFor();
    await accessible(page, 'a note sent');
    await shot(page, 'organizer-note-sent');
    const inbox = await nora!.api.call<{ items: { kind: string; postId: string | null; data: { actorName?: string; text?: string } }[] }>('GET', '/api/me/notifications');
    expect(inbox.items.find((n) => n.kind === 'message.created' && n.postId === dinner)?.data).toMatchObject({ actorName: 'Olga', text: 'Hal can bring soup tomorrow at five. Is that all right?' });

    // Nora answers from her inbox, on her phone; Olga's inbox has the answer.
    const noraContext = await e2e.phone();
    await signInPhone(noraContext, nora!.api.cookie(), e2e.server.url);
    const noraPage = await noraContext.newPage();
    await noraPage.goto(`${e2e.server.url}/inbox`);
    const item = noraPage.locator('.notifications li').filter({ hasText: 'Hal can bring soup tomorrow at five.' });
    await item.getByRole('button', { name: 'Reply' }).click();
    await item.getByLabel('Your answer to Olga').fill('Yes, five is fine. Thank you!');
    await accessible(noraPage, 'an answer to a note, written');
    await item.getByRole('button', { name: 'Send' }).click();
    await item.getByRole('status').filter({ hasText: 'Your answer went to Olga.' }).waitFor();
    await shot(noraPage, 'organizer-note-answered');
    const olgaInbox = await olga!.api.call<{ items: { kind: string; postId: string | null; replyable: boolean; data: { actorName?: string; text?: string } }[] }>('GET', '/api/me/notifications');
    expect(olgaInbox.items.find((n) => n.kind === 'message.created' && n.postId === dinner)).toMatchObject({ replyable: true, data: { actorName: 'Nora', text: 'Yes, five is fine. Thank you!' } });
  });
});
