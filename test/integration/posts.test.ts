import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { distanceM } from '../../server/geo/geo';
import { useTestApp, postBody, signup, type TestUser } from '../helper';

const ctx = useTestApp();
let alice: { cookie: string; id: string };
let bob: { cookie: string; id: string };

// Exact points with six decimals, so a leak would show up verbatim in any body.
const HOME = { lat: 40.678213, lng: -73.944187 };
const CLINIC = { lat: 40.655517, lng: -73.941309 };

beforeAll(async () => {
  alice = await signup(ctx.app, 'Alice');
  bob = await signup(ctx.app, 'Bob');
});

async function create(cookie: string, overrides: Record<string, unknown> = {}) {
  const res = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie }, payload: postBody(overrides) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().post;
}

async function get(id: string, cookie?: string) {
  return ctx.app.inject({ method: 'GET', url: `/api/posts/${id}`, headers: cookie ? { cookie } : {} });
}

async function list(query: string, cookie?: string) {
  const res = await ctx.app.inject({ method: 'GET', url: `/api/posts?${query}`, headers: cookie ? { cookie } : {} });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: { id: string; location: { lat: number; lng: number } }[]; nextCursor: string | null };
}

const BROOKLYN = 'bbox=-74.05,40.60,-73.85,40.75';

function containsExact(body: string, p: { lat: number; lng: number }): boolean {
  return body.includes(String(p.lat)) || body.includes(String(p.lng));
}

describe('creating and reading posts', () => {
  it('returns the post as given, with id, status, author, capacity and schedule; exact for its author', async () => {
    const body = postBody({
      kind: 'need',
      category: 'ride',
      title: 'Ride to the clinic',
      description: 'Dialysis, back by noon',
      location: HOME,
      capacity: 1,
      windows: [{ start: '2026-12-03T09:30:00-05:00', end: '2026-12-03T10:00:00-05:00' }],
      recurrence: { days: ['mon', 'wed', 'fri'], startTime: '09:30', endTime: '10:00', timezone: 'America/New_York', until: '2027-02-28' },
      details: { destination: CLINIC, wheelchair: true },
    });
    const res = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: alice.cookie }, payload: body });
    expect(res.statusCode).toBe(201);
    const { post } = res.json();
    expect(post).toMatchObject({
      kind: 'need',
      category: 'ride',
      title: 'Ride to the clinic',
      description: 'Dialysis, back by noon',
      location: HOME,
      locationPrecisionM: 0,
      radiusM: 3000,
      windows: body.windows,
      recurrence: body.recurrence,
      capacity: 1,
      capacityLeft: 1,
      details: { destination: CLINIC, wheelchair: true },
      status: 'open',
      author: { id: alice.id, displayName: 'Alice' },
      createdAt: '2026-12-01T12:00:00.000Z',
    });
    expect(post.id).toMatch(/^[0-9a-f-]{36}$/);
    // Mon/Wed/Fri 09:30 New York time for 8 weeks, with the one-off (a Thursday) in order.
    expect(post.schedule[0]).toEqual({ start: '2026-12-02T09:30:00-05:00', end: '2026-12-02T10:00:00-05:00' });
    expect(post.schedule[1]).toEqual((body.windows as unknown[])[0]);
    expect(post.schedule).toHaveLength(1 + 24);
    expect(post.schedule.every((w: { start: string }) => w.start.includes('T09:30:00-05:00'))).toBe(true);

    const again = await get(post.id, alice.cookie);
    expect(again.json().post).toEqual(post);
  });

  it('applies defaults: radius 2000 m, capacity 1, no details, no description', async () => {
    const post = await create(alice.cookie, {
      category: 'errand',
      kind: 'need',
      description: undefined,
      radiusM: undefined,
      capacity: undefined,
      details: undefined,
    });
    expect(post).toMatchObject({ radiusM: 2000, capacity: 1, capacityLeft: 1, details: {} });
    expect(post).not.toHaveProperty('description');
    expect(post).not.toHaveProperty('recurrence');
  });

  it('gives everyone else a public location 150–400 m away, the same on every read, and never the exact point', async () => {
    const post = await create(alice.cookie, {
      kind: 'need',
      category: 'ride',
      location: HOME,
      details: { destination: CLINIC },
    });
    const reads = [await get(post.id), await get(post.id, bob.cookie), await get(post.id)];
    const seen = reads.map((r) => {
      expect(r.statusCode).toBe(200);
      expect(containsExact(r.body, HOME)).toBe(false);
      expect(containsExact(r.body, CLINIC)).toBe(false);
      return r.json().post;
    });
    for (const p of seen) {
      expect(p.location).toEqual(seen[0].location);
      expect(p.details.destination).toEqual(seen[0].details.destination);
      expect(p.locationPrecisionM).toBeGreaterThan(0);
    }
    const offset = distanceM(HOME, seen[0].location);
    expect(offset).toBeGreaterThanOrEqual(149.9);
    expect(offset).toBeLessThanOrEqual(400.1);
    const destOffset = distanceM(CLINIC, seen[0].details.destination);
    expect(destOffset).toBeGreaterThanOrEqual(149.9);
    expect(destOffset).toBeLessThanOrEqual(400.1);
    expect(seen[0].locationPrecisionM).toBeGreaterThanOrEqual(offset);

    const listed = await list(`${BROOKLYN}&category=ride`, bob.cookie);
    const body = JSON.stringify(listed);
    expect(containsExact(body, HOME)).toBe(false);
    expect(containsExact(body, CLINIC)).toBe(false);
    expect(listed.items.find((i) => i.id === post.id)?.location).toEqual(seen[0].location);
    // The author sees the exact point in listings too.
    const own = await list(`${BROOKLYN}&category=ride`, alice.cookie);
    expect(own.items.find((i) => i.id === post.id)?.location).toEqual(HOME);
  });

  it('keeps text exactly as given: SQL metacharacters, emoji, right-to-left script', async () => {
    const title = "Robert'); DROP TABLE posts;-- 🍲";
    const description = 'مساعدة في التسوق — \\ % _ " \u202e done';
    const post = await create(alice.cookie, { title, description });
    const read = (await get(post.id)).json().post;
    expect(read.title).toBe(title);
    expect(read.description).toBe(description);
  });

  it('answers 401 to a post without a session, before looking at the body', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/posts', payload: { nonsense: true } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await get('7f0c2a4e-3b1d-4c5e-9f8a-1b2c3d4e5f60');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ status: 404, title: 'Not Found' });
    const malformed = await get('not-a-uuid');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors).toEqual([{ path: '/id', message: 'must be a UUID', code: 'format.uuid' }]);
  });
});

describe('listing posts', () => {
  const ctxList = useTestApp();
  let carol: TestUser;
  beforeAll(async () => {
    carol = await signup(ctxList.app, 'Carol');
  });

  async function make(overrides: Record<string, unknown>) {
    ctxList.clock.advance(1000);
    const res = await ctxList.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: carol.cookie }, payload: postBody(overrides) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().post;
  }
  async function ids(query: string) {
    const res = await ctxList.app.inject({ method: 'GET', url: `/api/posts?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().items as { id: string }[]).map((i) => i.id);
  }

  it('filters by box (on the public location), kind, categories and time, and pages with a cursor', async () => {
    const meal = await make({});
    const ride = await make({ kind: 'need', category: 'ride', details: { destination: CLINIC }, capacity: 1 });
    const tutoring = await make({ category: 'tutoring', details: { subject: 'Math' }, capacity: 1 });
    const later = await make({
      category: 'grocery',
      capacity: 1,
      details: {},
      windows: [{ start: '2026-12-20T10:00:00Z', end: '2026-12-20T12:00:00Z' }],
    });
    const elsewhere = await make({ location: { lat: 48.8566, lng: 2.3522 } });

    const inBrooklyn = await ids(BROOKLYN);
    expect(inBrooklyn).toEqual([later.id, tutoring.id, ride.id, meal.id]);
    expect(await ids('bbox=2.2,48.8,2.5,48.9')).toEqual([elsewhere.id]);
    expect(await ids(`${BROOKLYN}&kind=need`)).toEqual([ride.id]);
    expect(await ids(`${BROOKLYN}&category=ride,tutoring`)).toEqual([tutoring.id, ride.id]);
    expect(await ids(`${BROOKLYN}&from=2026-12-15T00:00:00Z`)).toEqual([later.id]);
    expect(await ids(`${BROOKLYN}&to=2026-12-15T00:00:00Z`)).toEqual([tutoring.id, ride.id, meal.id]);
    expect(await ids(`${BROOKLYN}&from=2026-12-20T11:59:00Z&to=2026-12-21T00:00:00Z`)).toEqual([later.id]);
    expect(await ids(`${BROOKLYN}&from=2026-12-20T12:00:00Z&to=2026-12-21T00:00:00Z`)).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { json: () => { items: { id: string }[]; nextCursor: string | null } } = await ctxList.app.inject({
        method: 'GET',
        url: `/api/posts?${BROOKLYN}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      });
      const page = res.json();
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(inBrooklyn);
  });

  it('places posts in boxes by their public location, not the exact one', async () => {
    const exact = { lat: 41.8901, lng: 12.4923 };
    const rome = await make({ location: exact });
    const shown = (await ctxList.app.inject({ method: 'GET', url: `/api/posts/${rome.id}` })).json().post.location;
    // Boxes ±0.0005° (about 50 m) around each point: disjoint, since the offset is at least 150 m.
    const box = (p: { lat: number; lng: number }) => `bbox=${p.lng - 0.0005},${p.lat - 0.0005},${p.lng + 0.0005},${p.lat + 0.0005}`;
    expect(await ids(box(shown))).toEqual([rome.id]);
    expect(await ids(box(exact))).toEqual([]);
  });

  it('finds posts in a box that crosses the antimeridian', async () => {
    const fiji = await make({ location: { lat: -17.7134, lng: 179.99 } });
    expect(await ids('bbox=179,-19,-179,-16')).toContain(fiji.id);
    expect(await ids('bbox=-179,-19,179,-16')).not.toContain(fiji.id);
  });

  it('leaves out cancelled posts, and posts whose schedule has run out (they read as expired)', async () => {
    const bbox = 'bbox=-0.2,51.4,0.1,51.6';
    const london = { lat: 51.5072, lng: -0.1276 };
    const cancelled = await make({ location: london });
    const oneOff = await make({ location: london, windows: [{ start: '2026-12-02T10:00:00Z', end: '2026-12-02T11:00:00Z' }] });
    const weekly = await make({
      location: london,
      windows: [],
      recurrence: { days: ['tue'], startTime: '10:00', endTime: '11:00', timezone: 'Europe/London', until: '2026-12-15' },
    });
    const open = await make({
      location: london,
      windows: [],
      recurrence: { days: ['tue'], startTime: '10:00', endTime: '11:00', timezone: 'Europe/London' },
    });
    await ctxList.app.inject({ method: 'DELETE', url: `/api/posts/${cancelled.id}`, headers: { cookie: carol.cookie } });
    expect(await ids(bbox)).toEqual([open.id, weekly.id, oneOff.id]);

    ctxList.clock.set('2026-12-02T11:00:00Z');
    expect(await ids(bbox)).toEqual([open.id, weekly.id]);
    expect((await ctxList.app.inject({ method: 'GET', url: `/api/posts/${oneOff.id}` })).json().post.status).toBe('expired');

    ctxList.clock.set('2026-12-15T11:00:01Z');
    expect(await ids(bbox)).toEqual([open.id]);
    const read = (await ctxList.app.inject({ method: 'GET', url: `/api/posts/${weekly.id}` })).json().post;
    expect(read.status).toBe('expired');
    expect(read.schedule).toEqual([]);
    ctxList.clock.set('2026-12-01T13:00:00Z');
  });

  it('re-expands weekly schedules as time passes, in responses and in time filters', async () => {
    const bbox = 'bbox=13.3,52.4,13.5,52.6';
    const berlin = await make({
      location: { lat: 52.52, lng: 13.405 },
      windows: [],
      recurrence: { days: ['sat'], startTime: '10:00', endTime: '12:00', timezone: 'Europe/Berlin' },
    });
    expect(berlin.schedule).toHaveLength(8);
    expect(berlin.schedule[0]).toEqual({ start: '2026-12-05T10:00:00+01:00', end: '2026-12-05T12:00:00+01:00' });
    const tenWeeksOut = 'from=2027-02-13T00:00:00Z&to=2027-02-14T00:00:00Z';
    expect(await ids(`${bbox}&${tenWeeksOut}`)).toEqual([]);

    ctxList.clock.set('2026-12-29T12:00:00Z');
    const read = (await ctxList.app.inject({ method: 'GET', url: `/api/posts/${berlin.id}` })).json().post;
    expect(read.schedule).toHaveLength(8);
    expect(read.schedule[0]).toEqual({ start: '2027-01-02T10:00:00+01:00', end: '2027-01-02T12:00:00+01:00' });
    expect(read.schedule.at(-1)).toEqual({ start: '2027-02-20T10:00:00+01:00', end: '2027-02-20T12:00:00+01:00' });
    expect(await ids(`${bbox}&${tenWeeksOut}`)).toEqual([berlin.id]);
    // Past windows no longer count for a time filter, and are dropped a day after they end.
    expect(await ids(`${bbox}&from=2026-12-05T00:00:00Z&to=2026-12-06T00:00:00Z`)).toEqual([]);
    const stale = rowsOf<{ n: number }>(
      await ctxList.database.db.execute(sql`SELECT count(*)::int AS n FROM post_windows WHERE upper(during) < '2026-12-28T12:00:00Z'`),
    );
    expect(stale[0]!.n).toBe(0);
    ctxList.clock.set('2026-12-01T14:00:00Z');
  });

  it('still answers listings when extending schedules fails, and catches up later', async () => {
    const bbox = 'bbox=-3.8,40.3,-3.6,40.5';
    const madrid = await make({
      location: { lat: 40.4168, lng: -3.7038 },
      windows: [],
      recurrence: { days: ['mon'], startTime: '10:00', endTime: '11:00', timezone: 'Europe/Madrid' },
    });
    await ctxList.database.db.execute(sql`
      CREATE FUNCTION refuse_windows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no windows today'; END $$`);
    await ctxList.database.db.execute(sql`CREATE TRIGGER refuse BEFORE INSERT ON post_windows FOR EACH ROW EXECUTE FUNCTION refuse_windows()`);
    ctxList.clock.set('2027-01-20T12:00:00Z');
    expect(await ids(bbox)).toEqual([madrid.id]);
    await ctxList.database.db.execute(sql`DROP TRIGGER refuse ON post_windows`);
    ctxList.clock.advance(61_000);
    expect(await ids(`${bbox}&from=2027-03-15T00:00:00Z&to=2027-03-16T00:00:00Z`)).toEqual([madrid.id]);
    ctxList.clock.set('2026-12-01T15:00:00Z');
  });
});

describe('my posts', () => {
  it('lists only the caller\'s own posts, every status, newest first, exact; 401 for anonymous', async () => {
    const dave = await signup(ctx.app, 'Dave');
    const first = await create(dave.cookie, { location: { lat: 40.671111, lng: -73.951111 } });
    ctx.clock.advance(1000);
    const second = await create(dave.cookie, { kind: 'need', capacity: 1 });
    await ctx.app.inject({ method: 'DELETE', url: `/api/posts/${first.id}`, headers: { cookie: dave.cookie } });
    await create(alice.cookie);
    const res = await ctx.app.inject({ method: 'GET', url: '/api/me/posts', headers: { cookie: dave.cookie } });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { id: string; status: string; location: { lat: number; lng: number } }[];
    expect(items.map((p) => [p.id, p.status])).toEqual([
      [second.id, 'open'],
      [first.id, 'cancelled'],
    ]);
    expect(items[1]!.location).toEqual({ lat: 40.671111, lng: -73.951111 });
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me/posts' })).statusCode).toBe(401);
  });
});

describe('editing and cancelling', () => {
  it('lets the author edit; a moved post gets the public point of its new place, and the old one back when it returns', async () => {
    const post = await create(alice.cookie, { location: HOME });
    const publicBefore = (await get(post.id)).json().post.location;
    ctx.clock.advance(60_000);
    const moved = { lat: 40.681234, lng: -73.951234 };
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/posts/${post.id}`,
      headers: { cookie: alice.cookie },
      payload: { title: 'Soup on Thursday', location: moved, capacity: 6, description: null },
    });
    expect(res.statusCode, res.body).toBe(200);
    const edited = res.json().post;
    expect(edited).toMatchObject({ title: 'Soup on Thursday', location: moved, capacity: 6, capacityLeft: 6 });
    expect(edited).not.toHaveProperty('description');
    expect(edited.updatedAt).not.toBe(edited.createdAt);
    const publicAfter = (await get(post.id, bob.cookie)).json().post.location;
    expect(distanceM(publicAfter, moved)).toBeGreaterThanOrEqual(149.9);
    expect(distanceM(publicAfter, moved)).toBeLessThanOrEqual(400.1);
    expect(publicAfter).not.toEqual(publicBefore);
    await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${post.id}`, headers: { cookie: alice.cookie }, payload: { location: HOME } });
    expect((await get(post.id)).json().post.location).toEqual(publicBefore);
  });

  it('shows one public point for all of an author\'s posts from one place, so they cannot be averaged', async () => {
    const posts = [await create(alice.cookie, { location: HOME }), await create(alice.cookie, { location: HOME, category: 'errand', capacity: 1, details: {} })];
    const shown = await Promise.all(posts.map(async (p) => (await get(p.id)).json().post.location));
    expect(shown[1]).toEqual(shown[0]);
    // Another neighbor at the same address gets an unrelated point: knowing your own offset tells nothing about theirs.
    const bobs = await create(bob.cookie, { location: HOME });
    expect((await get(bobs.id)).json().post.location).not.toEqual(shown[0]);
    // A ride destination is a place too: dropping it and adding it again gives the same public point.
    const offer = await create(alice.cookie, { category: 'ride', capacity: 2, details: { destination: CLINIC } });
    const firstDest = (await get(offer.id)).json().post.details.destination;
    await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${offer.id}`, headers: { cookie: alice.cookie }, payload: { details: { wheelchair: true } } });
    await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${offer.id}`, headers: { cookie: alice.cookie }, payload: { details: { destination: CLINIC } } });
    expect((await get(offer.id)).json().post.details.destination).toEqual(firstDest);
  });

  it('replaces the times, and can swap one-off windows for a weekly schedule', async () => {
    const post = await create(alice.cookie);
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/posts/${post.id}`,
      headers: { cookie: alice.cookie },
      payload: { windows: [], recurrence: { days: ['sun'], startTime: '17:00', endTime: '19:00', timezone: 'America/New_York' } },
    });
    expect(res.statusCode, res.body).toBe(200);
    const edited = res.json().post;
    expect(edited.windows).toEqual([]);
    expect(edited.schedule[0]).toEqual({ start: '2026-12-06T17:00:00-05:00', end: '2026-12-06T19:00:00-05:00' });
    const removeAll = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/posts/${post.id}`,
      headers: { cookie: alice.cookie },
      payload: { recurrence: null },
    });
    expect(removeAll.statusCode).toBe(400);
    expect(removeAll.json().errors[0].path).toBe('/windows');
  });

  it('changes category with fresh details, refuses a change of kind', async () => {
    const post = await create(alice.cookie);
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/posts/${post.id}`,
      headers: { cookie: alice.cookie },
      payload: { category: 'tutoring', details: { subject: 'Chemistry', languages: ['es-MX'] } },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().post).toMatchObject({ category: 'tutoring', details: { subject: 'Chemistry', languages: ['es-MX'] } });
    const kind = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/posts/${post.id}`,
      headers: { cookie: alice.cookie },
      payload: { kind: 'need' },
    });
    expect(kind.statusCode).toBe(400);
    expect(kind.json().errors).toEqual([{ path: '/kind', message: 'cannot be changed; cancel this post and make a new one', code: 'kind.fixed' }]);
  });

  it('answers 403 to others, 401 to anonymous, 404 for unknown posts; nothing changes', async () => {
    const post = await create(alice.cookie);
    const other = await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${post.id}`, headers: { cookie: bob.cookie }, payload: { title: 'Mine now' } });
    expect(other.statusCode).toBe(403);
    expect(containsExact(other.body, HOME)).toBe(false);
    const anon = await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${post.id}`, payload: { title: 'Mine now' } });
    expect(anon.statusCode).toBe(401);
    const del = await ctx.app.inject({ method: 'DELETE', url: `/api/posts/${post.id}`, headers: { cookie: bob.cookie } });
    expect(del.statusCode).toBe(403);
    const missing = await ctx.app.inject({
      method: 'PATCH',
      url: '/api/posts/00000000-0000-4000-8000-000000000000',
      headers: { cookie: alice.cookie },
      payload: { title: 'x' },
    });
    expect(missing.statusCode).toBe(404);
    expect((await get(post.id)).json().post.title).toBe(post.title);
  });

  it('cancels: the post is kept with status cancelled, cancelling again is harmless, editing is refused', async () => {
    const post = await create(alice.cookie);
    const res = await ctx.app.inject({ method: 'DELETE', url: `/api/posts/${post.id}`, headers: { cookie: alice.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.json().post.status).toBe('cancelled');
    expect((await get(post.id)).json().post.status).toBe('cancelled');
    const again = await ctx.app.inject({ method: 'DELETE', url: `/api/posts/${post.id}`, headers: { cookie: alice.cookie } });
    expect(again.statusCode).toBe(200);
    const edit = await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${post.id}`, headers: { cookie: alice.cookie }, payload: { title: 'Back' } });
    expect(edit.statusCode).toBe(409);
  });

  it('edits are all-or-nothing: an invalid patch changes nothing', async () => {
    const post = await create(alice.cookie);
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/posts/${post.id}`,
      headers: { cookie: alice.cookie },
      payload: { title: 'New title', windows: [{ start: '2026-12-05T10:00:00Z', end: '2026-12-05T09:00:00Z' }] },
    });
    expect(res.statusCode).toBe(400);
    const read = (await get(post.id, alice.cookie)).json().post;
    expect(read.title).toBe(post.title);
    expect(read.windows).toEqual(post.windows);
  });
});
