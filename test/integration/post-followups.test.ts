// A new post is one statement (issue 17): the post, its windows, its live
// event and its follow-up job commit together, and the 201 waits for nothing
// more. The follow-ups (suggestions, a need's alerts) run after the reply as
// a durable job: one written before the process died runs on the next one.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, rowsOf } from '../../db';
import { entitledOrganizers } from '../../server/access';
import { POST_SAVED_JOB, postSavedJob } from '../../server/posts/followup';
import { enqueue } from '../../server/queue/queue';
import { buildTestApp, openTestDatabasePair, postBody, runFollowUps, signup, TestClock, type TestContext, type TestUser } from '../helper';

const clock = new TestClock();
let dbA: Database;
let dbB: Database;
/** The first process; closed in the durability test, as a process that died. */
let first: TestContext | null = null;
/** The process started after it, on the same database. */
let second: TestContext | null = null;

beforeAll(async () => {
  [dbA, dbB] = await openTestDatabasePair();
  // The first app on the second handle: on the embedded database closing that handle leaves the database open for the next.
  first = await buildTestApp({ database: dbB, clock });
});
afterAll(async () => {
  await first?.app.close();
  await second?.app.close();
  await dbA?.close();
});

const HOME = { lat: 40.6782, lng: -73.9442 };
const THU = { start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' };

function call(ctx: TestContext, user: TestUser | null, method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  return ctx.app.inject({ method, url, headers: { ...(user ? { cookie: user.cookie } : {}), ...headers }, ...(payload !== undefined ? { payload: payload as never } : {}) });
}

async function create(ctx: TestContext, user: TestUser, overrides: Record<string, unknown>, headers: Record<string, string> = {}) {
  clock.advance(1000);
  const res = await call(ctx, user, 'POST', '/api/posts', postBody({ windows: [THU], location: HOME, ...overrides }), headers);
  expect(res.statusCode, res.body).toBe(201);
  return res;
}

async function count(ctx: TestContext, query: ReturnType<typeof sql>): Promise<number> {
  return Number(rowsOf<{ n: number }>(await ctx.database.db.execute(sql`SELECT count(*)::int AS n FROM (${query}) q`))[0]!.n);
}

const jobsOf = (ctx: TestContext, postId: string) => count(ctx, sql`SELECT 1 FROM jobs WHERE kind = ${POST_SAVED_JOB} AND payload ->> 'postId' = ${postId}`);
const createdEvents = (ctx: TestContext, postId: string) => count(ctx, sql`SELECT 1 FROM events WHERE type = 'post.created' AND data -> 'post' ->> 'id' = ${postId}`);
const suggestionsOf = (ctx: TestContext, needId: string) => count(ctx, sql`SELECT 1 FROM matches WHERE status = 'suggested' AND need_id = ${needId}::uuid`);
const alertsOf = (ctx: TestContext, userId: string, postId: string) =>
  count(ctx, sql`SELECT 1 FROM notifications WHERE user_id = ${userId}::uuid AND kind = 'need_nearby' AND post_id = ${postId}::uuid`);

describe('a new post', () => {
  it('answers 201 once the post, its event and its job are committed; its suggestions and alerts come from the job, which outlives the process', async () => {
    const ctx = first!;
    const [helper, asker, watcher] = [await signup(ctx.app, 'Hal'), await signup(ctx.app, 'Asa'), await signup(ctx.app, 'Wes')];
    expect((await call(ctx, watcher, 'POST', '/api/me/alerts', { center: HOME, radiusM: 2000, categories: ['meal'] })).statusCode).toBe(201);
    const offer = (await create(ctx, helper, { kind: 'offer', capacity: 2 })).json().post.id as string;
    await runFollowUps(ctx.app);

    const need = (await create(ctx, asker, { kind: 'need', title: 'Soup for two', capacity: 1 })).json().post.id as string;
    // Committed with the post: its event and its follow-up job; the follow-ups themselves have not run.
    expect(await createdEvents(ctx, need)).toBe(1);
    expect(await jobsOf(ctx, need)).toBe(1);
    expect(await suggestionsOf(ctx, need)).toBe(0);
    expect(await alertsOf(ctx, watcher.id, need)).toBe(0);

    // The process goes away before running it; the next one on the same database does.
    await ctx.app.close();
    first = null;
    second = await buildTestApp({ database: dbA, clock });
    await runFollowUps(second.app);
    expect(await jobsOf(second, need)).toBe(0);
    const suggested = (await call(second, asker, 'GET', '/api/matches?status=suggested')).json().items as { id: string; needId: string; offerId: string }[];
    expect(suggested.filter((m) => m.needId === need).map((m) => m.offerId)).toEqual([offer]);
    expect(await alertsOf(second, watcher.id, need)).toBe(1);

    // Run again (a retry, or a process that died between the work and its record): nothing is told twice.
    await second.database.db.transaction((tx) => enqueue(tx, clock.now(), [postSavedJob(need, true)]));
    await runFollowUps(second.app);
    expect(await alertsOf(second, watcher.id, need)).toBe(1);
    expect(await suggestionsOf(second, need)).toBe(1);
    expect(((await call(second, asker, 'GET', '/api/matches?status=suggested')).json().items as { id: string }[]).map((m) => m.id)).toEqual(
      suggested.filter((m) => m.needId === need).map((m) => m.id),
    );
  });

  it('tells both sides of each suggestion it writes, and nothing of a pair already proposed', async () => {
    const ctx = second!;
    const [cook, baker, asker] = [await signup(ctx.app, 'Coco'), await signup(ctx.app, 'Bea'), await signup(ctx.app, 'Ari')];
    const soup = (await create(ctx, cook, { kind: 'offer', title: 'Soup', capacity: 2 })).json().post.id as string;
    const bread = (await create(ctx, baker, { kind: 'offer', title: 'Bread', capacity: 2 })).json().post.id as string;
    await runFollowUps(ctx.app);
    const need = (await create(ctx, asker, { kind: 'need', title: 'A meal for one', capacity: 1 })).json().post.id as string;
    // Proposed to the soup before the need's follow-ups run: that pair is live, so it is not suggested.
    const proposed = await call(ctx, asker, 'POST', '/api/matches', { needId: need, offerId: soup });
    expect(proposed.statusCode, proposed.body).toBe(201);
    await runFollowUps(ctx.app);

    const told = rowsOf<{ match_id: string; audience: string[] }>(
      await ctx.database.db.execute(sql`SELECT data -> ${asker.id} -> 'match' ->> 'id' AS match_id, audience FROM events
        WHERE type = 'match.suggested' AND data -> ${asker.id} -> 'match' ->> 'needId' = ${need}`),
    );
    const written = rowsOf<{ id: string; offer_id: string }>(await ctx.database.db.execute(sql`SELECT id, offer_id FROM matches WHERE need_id = ${need}::uuid AND status = 'suggested'`));
    expect(written.map((m) => m.offer_id)).toContain(bread);
    expect(written.map((m) => m.offer_id)).not.toContain(soup);
    // One event for each suggestion written, to both its sides; none for the pair left alone.
    expect(told.map((e) => e.match_id).sort()).toEqual(written.map((m) => m.id).sort());
    const toBread = told.find((e) => e.match_id === written.find((m) => m.offer_id === bread)!.id)!;
    expect([...toBread.audience].sort()).toEqual([asker.id, baker.id].sort());
  });

  it('is answered as a read gives it back, byte for byte; its schedule keys and stored windows are those an edit computes', async () => {
    const ctx = second!;
    const tutor = await signup(ctx.app, 'Tia');
    // A one-off at the time of one of the rule's occurrences: post_windows holds it once, as a one-off.
    const SAT = { start: '2026-12-05T16:00:00-05:00', end: '2026-12-05T18:00:00-05:00' };
    // Details in an order jsonb does not keep; a weekly rule with one-off windows.
    const res = await create(ctx, tutor, {
      kind: 'offer',
      category: 'tutoring',
      capacity: 2,
      details: { subject: 'Algebra', level: 'high school', languages: ['es', 'en'], mode: 'in_person' },
      windows: [THU, SAT],
      recurrence: { days: ['tue', 'sat'], startTime: '16:00', endTime: '18:00', timezone: 'America/New_York' },
    });
    const id = res.json().post.id as string;
    const read = await call(ctx, tutor, 'GET', `/api/posts/${id}`);
    expect(res.body).toBe(read.body);
    const keys = async () =>
      rowsOf<{ schedule: string; week_hours: string; windows: string; stored: string }>(
        await ctx.database.db.execute(sql`SELECT schedule::text, week_hours::text,
          (SELECT string_agg(during::text || recurring::text, ' ' ORDER BY during) FROM post_windows WHERE post_id = ${id}::uuid) AS windows,
          (SELECT string_agg(tstzrange(to_timestamp((e->>0)::float8), to_timestamp((e->>1)::float8), '[)')::text || (e->>2), ' ' ORDER BY i)
             FROM json_array_elements(stored_windows) WITH ORDINALITY AS x(e, i)) AS stored
          FROM posts WHERE id = ${id}::uuid`),
      )[0]!;
    const made = await keys();
    expect(made.windows.split(' ').length).toBeGreaterThan(10);
    expect(made.windows).toContain('2026-12-05 21:00:00+00","2026-12-05 23:00:00+00")false');
    expect(made.windows).not.toContain('2026-12-05 21:00:00+00","2026-12-05 23:00:00+00")true');
    // The row's stored windows are its post_windows, in order (candidates read them there).
    expect(made.stored).toBe(made.windows);
    // An edit of the times writes the windows again and recomputes the keys from them (postsRepo.replaceWindows).
    expect((await call(ctx, tutor, 'PATCH', `/api/posts/${id}`, { windows: [SAT, THU] })).statusCode).toBe(200);
    expect(await keys()).toEqual(made);
    expect((await call(ctx, tutor, 'PATCH', `/api/posts/${id}`, { windows: [THU] })).statusCode).toBe(200);
    const edited = await keys();
    expect(edited.stored).toBe(edited.windows);
    expect(edited.windows).toContain('2026-12-05 21:00:00+00","2026-12-05 23:00:00+00")true');
  });

  it("tells the organizers entitled to it when it is written, from its true place: a member's post to its community's organizers not blocked", async () => {
    const ctx = second!;
    const [admin, organizer, member, outsider] = [await signup(ctx.app, 'Ada'), await signup(ctx.app, 'Ozzie'), await signup(ctx.app, 'Mia'), await signup(ctx.app, 'Otto')];
    const d = 0.01;
    const boundary = { type: 'Polygon', coordinates: [[[HOME.lng - d, HOME.lat - d], [HOME.lng + d, HOME.lat - d], [HOME.lng + d, HOME.lat + d], [HOME.lng - d, HOME.lat + d], [HOME.lng - d, HOME.lat - d]]] };
    const made = await call(ctx, admin, 'POST', '/api/communities', { name: 'Block association', slug: `b-${randomUUID().slice(0, 8)}`, boundary, timezone: 'America/New_York', joinPolicy: 'open' });
    expect(made.statusCode, made.body).toBe(201);
    const community = made.json().community.id as string;
    for (const u of [organizer, member]) {
      expect((await call(ctx, u, 'POST', `/api/communities/${community}/join`, {})).statusCode).toBeLessThan(300);
    }
    expect((await call(ctx, admin, 'PUT', `/api/communities/${community}/members/${organizer.id}`, { role: 'organizer' })).statusCode).toBe(200);

    // Each event's organizers, against what access/ says of the post just after it was written.
    const written: string[][] = [];
    const entitled: string[][] = [];
    const post = async (user: TestUser, overrides: Record<string, unknown>) => {
      const id = (await create(ctx, user, overrides)).json().post.id as string;
      const [event] = rowsOf<{ organizers: string[] | null }>(
        await ctx.database.db.execute(sql`SELECT organizers FROM events WHERE type = 'post.created' AND data -> 'post' ->> 'id' = ${id}`),
      );
      written.push([...(event!.organizers ?? [])].sort());
      entitled.push([...((await entitledOrganizers(ctx.database.db, [id])).get(id) ?? [])].sort());
    };
    await post(member, { title: "A member's post" });
    await post(outsider, { title: "A non-member's post" });
    await post(member, { title: 'Outside the area', location: { lat: HOME.lat + 0.05, lng: HOME.lng } });
    expect((await call(ctx, member, 'POST', '/api/blocks', { userId: organizer.id })).statusCode).toBe(201);
    await post(member, { title: 'After a block' });
    expect(written).toEqual(entitled);
    expect(written).toEqual([[admin.id, organizer.id].sort(), [], [], [admin.id]]);
  });

  it('proposed while its suggestion is being made: the proposal takes the suggestion up, never a 500', async () => {
    const ctx = second!;
    if (ctx.database.driver !== 'postgres') {
      return; // one connection on the embedded database: its transactions never overlap
    }
    const [asker, helper] = [await signup(ctx.app, 'Quinn'), await signup(ctx.app, 'Rae')];
    const need = (await create(ctx, asker, { kind: 'need', title: 'Soup, quickly', capacity: 1 })).json().post.id as string;
    const offer = (await create(ctx, helper, { kind: 'offer', title: 'Soup tonight', capacity: 1 })).json().post.id as string;
    // The need's follow-up job, on another connection, has written the pair's suggestion and not yet committed…
    let commit!: () => void;
    const held = new Promise<void>((resolve) => (commit = resolve));
    const suggesting = ctx.database.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO matches (need_id, offer_id, helper_id, status, score, created_at, updated_at)
        VALUES (${need}::uuid, ${offer}::uuid, ${helper.id}::uuid, 'suggested', 1, now(), now())`);
      await held;
    });
    // …when the helper proposes: the proposal waits on the suggestion's row (its insert, or a lock on the pair's posts).
    const proposing = call(ctx, helper, 'POST', '/api/matches', { needId: need, offerId: offer });
    await expect
      .poll(async () => count(ctx, sql`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`), { timeout: 30_000 })
      .toBe(1);
    commit();
    await suggesting;
    const res = await proposing;
    expect(res.statusCode, res.body).toBe(201);
    const live = rowsOf<{ id: string; status: string }>(
      await ctx.database.db.execute(sql`SELECT id, status FROM matches WHERE need_id = ${need}::uuid AND offer_id = ${offer}::uuid`),
    );
    expect(live).toEqual([{ id: res.json().match.id, status: 'proposed' }]);
  });

  it('proposed while suggestions naming the pair lock its posts the other way round: a deadlock ends the proposal, which runs again', async () => {
    const ctx = second!;
    if (ctx.database.driver !== 'postgres') {
      return; // one connection on the embedded database: its transactions never overlap
    }
    const [asker, helper] = [await signup(ctx.app, 'Sol'), await signup(ctx.app, 'Tove')];
    const need = (await create(ctx, asker, { kind: 'need', title: 'Groceries, quickly', capacity: 1 })).json().post.id as string;
    const offer = (await create(ctx, helper, { kind: 'offer', title: 'Shopping run', capacity: 1 })).json().post.id as string;
    // A suggestions insert checks its rows' posts (foreign keys) in its own order; a proposal locks the pair in id order.
    const [first, last] = [need, offer].sort();
    let more!: () => void;
    const next = new Promise<void>((resolve) => (more = resolve));
    let commit!: () => void;
    const held = new Promise<void>((resolve) => (commit = resolve));
    const suggesting = ctx.database.db.transaction(async (tx) => {
      // Never the one PostgreSQL ends: the proposal, waiting first, finds the deadlock (superuser's setting; tests connect as one).
      await tx.execute(sql`SET LOCAL deadlock_timeout = '60s'`);
      await tx.execute(sql`SELECT 1 FROM posts WHERE id = ${last}::uuid FOR KEY SHARE`);
      await next;
      await tx.execute(sql`SELECT 1 FROM posts WHERE id = ${first}::uuid FOR KEY SHARE`);
      await held;
    });
    const waiting = () => count(ctx, sql`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    // The proposal locks the first post and waits for the last…
    const proposing = call(ctx, helper, 'POST', '/api/matches', { needId: need, offerId: offer });
    await expect.poll(waiting, { timeout: 30_000 }).toBe(1);
    // …which the suggestions hold, and they now wait for the first: a cycle, which PostgreSQL breaks by ending the proposal.
    more();
    commit();
    await suggesting;
    const res = await proposing;
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().match).toMatchObject({ needId: need, offerId: offer, status: 'proposed' });
  });

  it('made twice with one Idempotency-Key, at once or again, is one post with one event and one job', async () => {
    const ctx = second!;
    const me = await signup(ctx.app, 'Twin');
    const key = randomUUID();
    const body = postBody({ windows: [THU], location: HOME, title: 'Twice' });
    const send = () => call(ctx, me, 'POST', '/api/posts', body, { 'idempotency-key': key });
    const answers = [...(await Promise.all([send(), send()])), await send()];
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201]);
    const ids = new Set(answers.map((a) => a.json().post.id as string));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
    expect(await count(ctx, sql`SELECT 1 FROM posts WHERE author_id = ${me.id}::uuid`)).toBe(1);
    expect(await createdEvents(ctx, id!)).toBe(1);
    expect(await jobsOf(ctx, id!)).toBe(1);
  });
});
