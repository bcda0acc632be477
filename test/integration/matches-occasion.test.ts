// The occasion a match is for, and who acted on it (issue 16, the match
// page): a proposal stores the first overlap of the two posts' windows not
// over then, and keeps it when windows change later; marking a match done
// before that has started is a 409 a person can act on; every answer names
// who gave it, so nobody is told of their own doing (stored or live).
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { postBody, runFollowUps, signup, type TestUser, useTestApp } from '../helper';

const ctx = useTestApp();
const HOME = { lat: 40.678213, lng: -73.944187 };
// The test clock starts at Tuesday 2026-12-01 12:00 UTC (07:00 in New York).
const WED = { start: '2026-12-02T17:00:00-05:00', end: '2026-12-02T19:00:00-05:00' };
const THU = { start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' };

let needer: TestUser;
let helper: TestUser;

beforeAll(async () => {
  needer = await signup(ctx.app, 'Nora');
  helper = await signup(ctx.app, 'Hal');
});

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
async function call(user: TestUser, method: Method, url: string, payload?: unknown) {
  return ctx.app.inject({ method, url, headers: { cookie: user.cookie }, payload: payload as never });
}

interface MatchJson {
  id: string;
  status: string;
  actedBy: string | null;
  startsAt: string | null;
  endsAt: string | null;
}

async function ok(user: TestUser, method: Method, url: string, payload?: unknown): Promise<{ match: MatchJson }> {
  const res = await call(user, method, url, payload);
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
}

async function create(user: TestUser, overrides: Record<string, unknown>): Promise<string> {
  ctx.clock.advance(1000);
  const res = await call(user, 'POST', '/api/posts', postBody({ location: HOME, radiusM: 2000, capacity: 1, details: {}, ...overrides }));
  expect(res.statusCode, res.body).toBe(201);
  await runFollowUps(ctx.app); // its suggestions, made after the reply
  return res.json().post.id;
}

/** A need of Nora's and an offer of Hal's meeting in `needWindows` × `offerWindows`. */
async function pair(needWindows: unknown[], offerWindows: unknown[] = needWindows): Promise<{ needId: string; offerId: string }> {
  const needId = await create(needer, { kind: 'need', title: 'Soup for two', windows: needWindows });
  const offerId = await create(helper, { kind: 'offer', title: 'Lentil soup', windows: offerWindows });
  return { needId, offerId };
}

/** A window that began an hour ago on the test clock and ends in two. */
function underWay(): { start: string; end: string } {
  const now = ctx.clock.now().getTime();
  return { start: new Date(now - 3_600_000).toISOString(), end: new Date(now + 2 * 3_600_000).toISOString() };
}

const instant = (iso: string) => new Date(iso).toISOString();

describe('the occasion a match is for', () => {
  it('is the first overlap of the windows, shown on a suggestion, stored when proposed and kept when windows change later', async () => {
    // Nora needs Thursday 17–19; Hal is free Thursday 18–20 and Friday: they meet Thursday 18–19.
    const { needId, offerId } = await pair([THU], [{ start: '2026-12-03T18:00:00-05:00', end: '2026-12-03T20:00:00-05:00' }, { start: '2026-12-04T17:00:00-05:00', end: '2026-12-04T19:00:00-05:00' }]);
    const suggestion = ((await call(needer, 'GET', '/api/matches?status=suggested')).json().items as (MatchJson & { needId: string; offerId: string })[]).find(
      (m) => m.needId === needId && m.offerId === offerId,
    );
    expect(suggestion).toMatchObject({ startsAt: instant('2026-12-03T18:00:00-05:00'), endsAt: instant(THU.end), actedBy: null });

    const { match } = await ok(helper, 'POST', '/api/matches', { needId, offerId });
    expect(match).toMatchObject({ status: 'proposed', actedBy: helper.id, startsAt: instant('2026-12-03T18:00:00-05:00'), endsAt: instant(THU.end) });
    const [row] = rowsOf<{ starts_at: Date | string; ends_at: Date | string }>(await ctx.database.db.execute(sql`SELECT starts_at, ends_at FROM matches WHERE id = ${match.id}`));
    expect(new Date(row!.starts_at).toISOString()).toBe(match.startsAt);
    expect(new Date(row!.ends_at).toISOString()).toBe(match.endsAt);

    // Both add Wednesday, which is earlier: the proposal is still for Thursday.
    await ok(needer, 'PATCH', `/api/posts/${needId}`, { windows: [WED, THU] });
    await ok(helper, 'PATCH', `/api/posts/${offerId}`, { windows: [WED, { start: '2026-12-03T18:00:00-05:00', end: '2026-12-03T20:00:00-05:00' }] });
    const later = (await ok(needer, 'GET', `/api/matches/${match.id}`)).match;
    expect(later).toMatchObject({ status: 'proposed', startsAt: match.startsAt, endsAt: match.endsAt });
    // Accepting keeps it too, and says who accepted.
    const accepted = (await ok(needer, 'POST', `/api/matches/${match.id}/accept`)).match;
    expect(accepted).toMatchObject({ status: 'accepted', actedBy: needer.id, startsAt: match.startsAt, endsAt: match.endsAt });
  });

  it('is the window under way when one has started and not ended', async () => {
    const now = underWay();
    const { needId, offerId } = await pair([now, THU]);
    const { match } = await ok(needer, 'POST', '/api/matches', { needId, offerId });
    expect(match).toMatchObject({ startsAt: instant(now.start), endsAt: instant(now.end) });
  });
});

describe('marking a match done', () => {
  it('is refused with a 409 saying when until the occasion has started, then done for both', async () => {
    const { needId, offerId } = await pair([THU]);
    const { match } = await ok(helper, 'POST', '/api/matches', { needId, offerId });
    await ok(needer, 'POST', `/api/matches/${match.id}/accept`);

    const early = await call(needer, 'POST', `/api/matches/${match.id}/complete`);
    expect(early.statusCode).toBe(409);
    expect(early.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(early.json()).toMatchObject({ status: 409, detail: 'This can be marked done once it has started, on Thursday, December 3 at 5:00 PM UTC-5.' });
    // Nothing changed.
    expect((await ok(helper, 'GET', `/api/matches/${match.id}`)).match.status).toBe('accepted');
    expect((await call(needer, 'GET', `/api/posts/${needId}`)).json().post.status).toBe('matched');

    const before = ctx.clock.now().toISOString();
    try {
      ctx.clock.set('2026-12-03T21:59:59Z'); // a second before 17:00 in New York
      expect((await call(helper, 'POST', `/api/matches/${match.id}/complete`)).statusCode).toBe(409);
      ctx.clock.set(THU.start);
      const done = (await ok(helper, 'POST', `/api/matches/${match.id}/complete`)).match;
      expect(done).toMatchObject({ status: 'completed', actedBy: helper.id });
    } finally {
      ctx.clock.set(before);
    }
    expect((await call(needer, 'GET', `/api/posts/${needId}`)).json().post.status).toBe('fulfilled');
  });

  it('is allowed at once when the occasion is under way', async () => {
    const { needId, offerId } = await pair([underWay()]);
    const { match } = await ok(helper, 'POST', '/api/matches', { needId, offerId });
    await ok(needer, 'POST', `/api/matches/${match.id}/accept`);
    expect((await ok(needer, 'POST', `/api/matches/${match.id}/complete`)).match.status).toBe('completed');
  });
});

describe('who is told', () => {
  /** The match as this event gave it to each party. */
  async function eventsOf(matchId: string, type: string): Promise<Map<string, MatchJson>> {
    const rows = rowsOf<{ data: Record<string, { match: MatchJson }> }>(
      await ctx.database.db.execute(sql`SELECT data FROM events WHERE type = ${type} AND data -> ${needer.id} -> 'match' ->> 'id' = ${matchId} ORDER BY seq`),
    );
    expect(rows, `one ${type} event`).toHaveLength(1);
    return new Map(Object.entries(rows[0]!.data).map(([user, d]) => [user, d.match]));
  }

  async function notified(user: TestUser, matchId: string, kind: string): Promise<number> {
    const res = await call(user, 'GET', '/api/me/notifications?limit=100');
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().items as { kind: string; matchId: string | null }[]).filter((n) => n.matchId === matchId && n.kind === kind).length;
  }

  /** After `actor` caused `type`: the event names them for both parties, and only the other party is notified. */
  async function toldOnlyTheOther(matchId: string, type: string, actor: TestUser): Promise<void> {
    const other = actor === needer ? helper : needer;
    const seen = await eventsOf(matchId, type);
    expect(seen.get(needer.id)?.actedBy, `${type}: Nora's event names who acted`).toBe(actor.id);
    expect(seen.get(helper.id)?.actedBy, `${type}: Hal's event names who acted`).toBe(actor.id);
    expect(await notified(actor, matchId, type), `${type}: the one who acted is not notified`).toBe(0);
    expect(await notified(other, matchId, type), `${type}: the other party is`).toBe(1);
  }

  it('of a proposal, an acceptance and marking it done: the other party, never the one who acted', async () => {
    const { needId, offerId } = await pair([underWay()]);
    const { match } = await ok(helper, 'POST', '/api/matches', { needId, offerId });
    await toldOnlyTheOther(match.id, 'match.proposed', helper);
    expect((await ok(needer, 'POST', `/api/matches/${match.id}/accept`)).match.actedBy).toBe(needer.id);
    await toldOnlyTheOther(match.id, 'match.accepted', needer);
    expect((await ok(helper, 'POST', `/api/matches/${match.id}/complete`)).match.actedBy).toBe(helper.id);
    await toldOnlyTheOther(match.id, 'match.completed', helper);
  });

  it('of a decline, a proposal withdrawn, an accepted match cancelled and a post cancelled with its match', async () => {
    const first = await pair([THU]);
    const declined = (await ok(needer, 'POST', '/api/matches', first)).match;
    expect((await ok(helper, 'POST', `/api/matches/${declined.id}/decline`)).match.actedBy).toBe(helper.id);
    await toldOnlyTheOther(declined.id, 'match.declined', helper);

    const second = await pair([THU]);
    const withdrawn = (await ok(needer, 'POST', '/api/matches', second)).match;
    expect((await ok(needer, 'POST', `/api/matches/${withdrawn.id}/cancel`)).match.actedBy).toBe(needer.id);
    await toldOnlyTheOther(withdrawn.id, 'match.cancelled', needer);

    const third = await pair([THU]);
    const cancelled = (await ok(needer, 'POST', '/api/matches', third)).match;
    await ok(helper, 'POST', `/api/matches/${cancelled.id}/accept`);
    await toldOnlyTheOther(cancelled.id, 'match.accepted', helper);
    expect((await ok(helper, 'POST', `/api/matches/${cancelled.id}/cancel`)).match.actedBy).toBe(helper.id);
    await toldOnlyTheOther(cancelled.id, 'match.cancelled', helper);

    const fourth = await pair([THU]);
    const gone = (await ok(helper, 'POST', '/api/matches', fourth)).match;
    await ok(needer, 'POST', `/api/matches/${gone.id}/accept`);
    await ok(needer, 'DELETE', `/api/posts/${fourth.needId}`);
    await toldOnlyTheOther(gone.id, 'match.cancelled', needer);
    expect((await ok(helper, 'GET', `/api/matches/${gone.id}`)).match).toMatchObject({ status: 'cancelled', actedBy: needer.id });
  });

  it('of a suggestion: nobody acted, and nobody is notified', async () => {
    const { needId, offerId } = await pair([THU]);
    const rows = rowsOf<{ data: Record<string, { match: MatchJson & { needId: string; offerId: string } }> }>(
      await ctx.database.db.execute(sql`SELECT data FROM events WHERE type = 'match.suggested' AND data -> ${needer.id} -> 'match' ->> 'needId' = ${needId} AND data -> ${needer.id} -> 'match' ->> 'offerId' = ${offerId}`),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.data[needer.id]!.match.actedBy).toBeNull();
    expect(rows[0]!.data[helper.id]!.match.actedBy).toBeNull();
    const res = await call(helper, 'GET', '/api/me/notifications?limit=100');
    expect((res.json().items as { kind: string }[]).some((n) => n.kind === 'match.suggested')).toBe(false);
  });
});
