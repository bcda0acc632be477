// Organizer numbers that agree (issue 16, item 6): triage, a plan of the
// same days and coverage count the same helpers — members' open offers whose
// area and times fit a need — so a need triage says one helper fits is one
// the plan serves and coverage does not count as unserved; a non-member's
// offer next to it is counted by none of them (nor is one whose area does
// not reach it, though it sits in the same coverage cell). A plan's pairs
// name the helper and the occasion; one need of triage lists its helpers to
// propose by hand, and its author can be written to.
import { beforeAll, describe, expect, it } from 'vitest';
import { destinationPoint } from '../../server/geo/geo';
import { postBody, signup, type TestUser, useTestApp } from '../helper';

const ctx = useTestApp();
const AT = { lat: 40.6702, lng: -73.9442 };
const AREA = { type: 'Polygon', coordinates: [[[-73.97, 40.65], [-73.92, 40.65], [-73.92, 40.69], [-73.97, 40.69], [-73.97, 40.65]]] };
// The test clock starts at Tuesday 2026-12-01 12:00 UTC.
const DINNER = { start: '2026-12-02T17:00:00-05:00', end: '2026-12-02T19:00:00-05:00' };

type Method = 'GET' | 'POST' | 'DELETE';
const call = (user: TestUser | null, method: Method, url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: user ? { cookie: user.cookie } : {}, ...(payload !== undefined ? { payload: payload as never } : {}) });
async function ok<T = Record<string, unknown>>(user: TestUser, method: Method, url: string, payload?: unknown): Promise<T> {
  const res = await call(user, method, url, payload);
  expect(res.statusCode, res.body).toBeLessThan(300);
  return (res.body ? res.json() : null) as T;
}
const post = async (user: TestUser, body: Record<string, unknown>) => (await ok<{ post: { id: string } }>(user, 'POST', '/api/posts', postBody(body))).post.id;

let olga: TestUser;
let nora: TestUser;
let hal: TestUser;
let ivy: TestUser;
let lone: TestUser;
let stan: TestUser;
let community: string;
let dinner: string;
let soup: string;
let algebra: string;

interface Item {
  needId: string;
  candidates: number;
  candidatesMore: boolean;
  noCandidates: boolean;
}

beforeAll(async () => {
  [olga, nora, hal, ivy, lone, stan] = (await Promise.all(['Olga', 'Nora', 'Hal', 'Ivy', 'Lone', 'Stan'].map((n) => signup(ctx.app, n)))) as unknown as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];
  community = (await ok<{ community: { id: string } }>(olga, 'POST', '/api/communities', { name: 'Crown Heights Mutual Aid', boundary: AREA, timezone: 'America/New_York', joinPolicy: 'open' })).community.id;
  for (const u of [nora, hal, ivy, lone]) {
    await ok(u, 'POST', `/api/communities/${community}/join`);
  }
  dinner = await post(nora, { kind: 'need', title: 'Dinner for two', location: AT, radiusM: 1000, capacity: 2, windows: [DINNER], details: {} });
  soup = await post(hal, { kind: 'offer', title: 'Soup for the week', location: destinationPoint(AT, 0, 800), radiusM: 1000, capacity: 4, windows: [{ start: '2026-12-02T16:00:00-05:00', end: '2026-12-02T20:00:00-05:00' }], details: {} });
  // In the same coverage cell, but neither area reaches the need: not a helper.
  await post(ivy, { kind: 'offer', title: 'Stew, too far', location: destinationPoint(AT, 270, 1500), radiusM: 500, capacity: 4, windows: [DINNER], details: {} });
  // A non-member's offer right there: counted by none of the organizer's tools.
  await post(stan, { kind: 'offer', title: 'Rice from a neighbour', location: destinationPoint(AT, 90, 200), capacity: 4, windows: [DINNER], details: {} });
  algebra = await post(lone, { kind: 'need', category: 'tutoring', title: 'Algebra help', location: AT, capacity: 1, windows: [DINNER], details: { subject: 'Algebra' } });
});

describe('triage, plans and coverage count the same helpers', () => {
  it("agree on who has a helper: triage's count, the plan of the same 14 days, coverage's unserved", async () => {
    const items = (await ok<{ items: Item[] }>(olga, 'GET', `/api/communities/${community}/triage`)).items;
    expect(items.find((i) => i.needId === dinner)).toMatchObject({ candidates: 1, candidatesMore: false, noCandidates: false });
    expect(items.find((i) => i.needId === algebra)).toMatchObject({ candidates: 0, noCandidates: true });

    const now = ctx.clock.now();
    const range = { from: now.toISOString(), to: new Date(now.getTime() + 14 * 86_400_000).toISOString() };
    const plan = await ok<{ needs: number; served: number; pairs: { needId: string; offerId: string }[] }>(olga, 'POST', `/api/communities/${community}/assignments/plan`, range);
    expect(plan).toMatchObject({ needs: 2, served: 1 });
    expect(plan.pairs.map((p) => [p.needId, p.offerId])).toEqual([[dinner, soup]]);

    const week = new URLSearchParams({ from: range.from, to: new Date(now.getTime() + 7 * 86_400_000).toISOString(), cellM: '5000' });
    const cov = await ok<{ cells: { needs: number; offers: number; gap: number; byCategory: Record<string, { needs: number; offers: number; unserved: number }> }[]; days: { date: string; gap: number }[] }>(
      olga,
      'GET',
      `/api/communities/${community}/coverage?${week}`,
    );
    // Two needs, three offers (the non-member's counted at its public point), one need without a helper: the algebra.
    const sum = (f: (c: (typeof cov.cells)[number]) => number) => cov.cells.reduce((a, c) => a + f(c), 0);
    expect([sum((c) => c.needs), sum((c) => c.offers), sum((c) => c.gap)]).toEqual([2, 3, 1]);
    expect(sum((c) => c.byCategory.meal?.unserved ?? 0)).toBe(0);
    expect(sum((c) => c.byCategory.tutoring?.unserved ?? 0)).toBe(1);
    expect(cov.days).toEqual([{ date: '2026-12-02', needs: 2, offers: 3, gap: 1 }]);
  });

  it('plan pairs name the helper, the offer and the occasion a proposal would be for', async () => {
    const now = ctx.clock.now();
    const plan = await ok<{ pairs: Record<string, unknown>[] }>(olga, 'POST', `/api/communities/${community}/assignments/plan`, {
      from: now.toISOString(),
      to: new Date(now.getTime() + 3 * 86_400_000).toISOString(),
    });
    expect(plan.pairs).toEqual([
      {
        needId: dinner,
        offerId: soup,
        distanceM: 800,
        needTitle: 'Dinner for two',
        offerTitle: 'Soup for the week',
        helper: { id: hal.id, displayName: 'Hal' },
        startsAt: '2026-12-02T22:00:00.000Z',
        endsAt: '2026-12-03T00:00:00.000Z',
      },
    ]);
  });
});

describe("one need of triage, and the organizer's actions on it", () => {
  it('lists its helpers with helper, occasion and distance; one proposed by hand shows as proposed', async () => {
    const detail = await ok<{ need: Item & { author: { displayName: string } }; helpers: Record<string, unknown>[] }>(olga, 'GET', `/api/communities/${community}/triage/${dinner}`);
    expect(detail.need).toMatchObject({ needId: dinner, candidates: 1, author: { id: nora.id, displayName: 'Nora' } });
    expect(detail.helpers).toEqual([
      { offerId: soup, title: 'Soup for the week', helper: { id: hal.id, displayName: 'Hal' }, distanceM: 800, startsAt: '2026-12-02T22:00:00.000Z', endsAt: '2026-12-03T00:00:00.000Z', match: null },
    ]);
    expect((await ok<{ helpers: unknown[] }>(olga, 'GET', `/api/communities/${community}/triage/${algebra}`)).helpers).toEqual([]);

    // Proposed by hand: one pair applied; the helper answers it.
    const applied = await ok<{ created: { matchId: string }[] }>(olga, 'POST', `/api/communities/${community}/assignments/apply`, { pairs: [{ needId: dinner, offerId: soup }] });
    expect(applied.created).toHaveLength(1);
    const again = await ok<{ helpers: { match: string | null }[] }>(olga, 'GET', `/api/communities/${community}/triage/${dinner}`);
    expect(again.helpers.map((h) => h.match)).toEqual(['proposed']);
    const mine = await ok<{ items: { id: string; status: string }[] }>(hal, 'GET', '/api/matches');
    expect(mine.items.find((m) => m.id === applied.created[0]!.matchId)?.status).toBe('proposed');
  });

  it('is only for organizers, and only for needs triage lists', async () => {
    expect((await call(null, 'GET', `/api/communities/${community}/triage/${dinner}`)).statusCode).toBe(401);
    expect((await call(nora, 'GET', `/api/communities/${community}/triage/${dinner}`)).statusCode).toBe(403);
    for (const id of [soup, '00000000-0000-4000-8000-000000000000']) {
      const res = await call(olga, 'GET', `/api/communities/${community}/triage/${id}`);
      expect(res.statusCode, res.body).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    // A non-member's need in the area is no row of the organizer's.
    const strangers = await post(stan, { kind: 'need', title: 'Dinner, not a member', location: AT, capacity: 1, windows: [DINNER], details: {} });
    expect((await call(olga, 'GET', `/api/communities/${community}/triage/${strangers}`)).statusCode).toBe(404);
    expect((await call(olga, 'POST', `/api/communities/${community}/triage/${strangers}/note`, { body: 'Hello' })).statusCode).toBe(404);
    expect((await call(olga, 'GET', `/api/communities/${community}/triage/not-a-uuid`)).statusCode).toBe(400);
  });

  it("writes to the need's author: their inbox has it as a message from the organizer; blank, too long or one's own is refused", async () => {
    const text = 'Hal can bring soup at five. All right?';
    const res = await call(olga, 'POST', `/api/communities/${community}/triage/${dinner}/note`, { body: `  ${text}  ` });
    expect(res.statusCode, res.body).toBe(204);
    const inbox = await ok<{ items: { kind: string; postId: string | null; matchId: string | null; communityId: string | null; data: Record<string, string> }[] }>(nora, 'GET', '/api/me/notifications');
    expect(inbox.items.find((n) => n.kind === 'message.created' && n.postId === dinner)).toMatchObject({
      matchId: null,
      communityId: community,
      data: { title: 'Dinner for two', actorName: 'Olga', text },
    });
    // Audited, without the words.
    const audit = await ok<{ items: { action: string; subjectId: string; after: unknown }[] }>(olga, 'GET', `/api/communities/${community}/audit`);
    expect(audit.items.find((e) => e.action === 'need.note')).toMatchObject({ subjectId: dinner, after: { chars: text.length } });

    for (const [body, status] of [
      ['   ', 400],
      ['x'.repeat(1001), 400],
    ] as const) {
      const bad = await call(olga, 'POST', `/api/communities/${community}/triage/${dinner}/note`, { body });
      expect(bad.statusCode, bad.body).toBe(status);
      expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await call(nora, 'POST', `/api/communities/${community}/triage/${dinner}/note`, { body: 'Hi' })).statusCode).toBe(403);
    // The organizer's own need: nobody to write to.
    const own = await post(olga, { kind: 'need', title: 'My own dinner', location: AT, capacity: 1, windows: [DINNER], details: {} });
    const mine = await call(olga, 'POST', `/api/communities/${community}/triage/${own}/note`, { body: 'Hi me' });
    expect(mine.statusCode, mine.body).toBe(409);
  });

  it('the author answers the note, and the organizer the answer; nobody else may, nor across a block', async () => {
    type Inbox = { items: { id: string; kind: string; postId: string | null; matchId: string | null; replyable: boolean; data: Record<string, string> }[] };
    const newest = async (who: TestUser) => (await ok<Inbox>(who, 'GET', '/api/me/notifications')).items[0]!;
    expect((await call(olga, 'POST', `/api/communities/${community}/triage/${dinner}/note`, { body: 'Is five all right?' })).statusCode).toBe(204);
    const note = await newest(nora);
    expect(note).toMatchObject({ kind: 'message.created', postId: dinner, matchId: null, replyable: true, data: { actorName: 'Olga', text: 'Is five all right?' } });
    // Who wrote it is not in what the inbox shows, only that it can be answered.
    expect(JSON.stringify(note)).not.toContain(olga.id);

    // Only its recipient may answer it (404 for anyone else, as for an id that is nobody's); blank is refused.
    expect((await call(hal, 'POST', `/api/me/notifications/${note.id}/reply`, { body: 'Me too' })).statusCode).toBe(404);
    expect((await call(null, 'POST', `/api/me/notifications/${note.id}/reply`, { body: 'Me too' })).statusCode).toBe(401);
    const blank = await call(nora, 'POST', `/api/me/notifications/${note.id}/reply`, { body: '   ' });
    expect(blank.statusCode, blank.body).toBe(400);

    const answer = await call(nora, 'POST', `/api/me/notifications/${note.id}/reply`, { body: '  Five is fine, thank you.  ' });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json()).toEqual({ to: 'Olga' });
    const got = await newest(olga);
    expect(got).toMatchObject({ kind: 'message.created', postId: dinner, matchId: null, replyable: true, data: { title: 'Dinner for two', actorName: 'Nora', text: 'Five is fine, thank you.' } });
    // And back: the organizer answers the answer.
    expect((await call(olga, 'POST', `/api/me/notifications/${got.id}/reply`, { body: 'See you then.' })).json()).toEqual({ to: 'Nora' });
    expect(await newest(nora)).toMatchObject({ replyable: true, data: { actorName: 'Olga', text: 'See you then.' } });

    // A notification of a match is no note: it is answered in the match's thread.
    const matchNote = (await ok<Inbox>(nora, 'GET', '/api/me/notifications')).items.find((n) => n.matchId !== null);
    if (matchNote) {
      expect(matchNote.replyable).toBe(false);
      expect((await call(nora, 'POST', `/api/me/notifications/${matchNote.id}/reply`, { body: 'Hi' })).statusCode).toBe(404);
    }
    // Blocked either way: not answered, and nothing reaches the other.
    expect((await call(olga, 'POST', '/api/blocks', { userId: nora.id })).statusCode).toBeLessThan(300);
    const before = (await ok<Inbox>(olga, 'GET', '/api/me/notifications')).items.length;
    const blocked = await call(nora, 'POST', `/api/me/notifications/${note.id}/reply`, { body: 'Hello?' });
    expect(blocked.statusCode, blocked.body).toBe(409);
    expect(blocked.json().code).toBe('note.blocked');
    expect((await ok<Inbox>(olga, 'GET', '/api/me/notifications')).items.length).toBe(before);
  });
});
