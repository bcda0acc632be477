// Exact points reach only those entitled to them: not other users' responses,
// not error messages, not log lines (at the most verbose level).
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, postBody, signup, type TestContext } from '../helper';

const logs: string[] = [];
let ctx: TestContext;
const HOME = { lat: 40.671234, lng: -73.953456 };
const DEST = { lat: 40.701357, lng: -73.987531 };
const exactStrings = [HOME.lat, HOME.lng, DEST.lat, DEST.lng].map(String);

beforeAll(async () => {
  ctx = await buildTestApp({ logStream: { write: (line: string) => void logs.push(line) } });
});
afterAll(async () => {
  await ctx?.app.close();
});

function leaks(text: string): string[] {
  return exactStrings.filter((s) => text.includes(s));
}

describe('exact locations stay private', () => {
  it('appear in no response to a non-author, no error, and no log line', async () => {
    const author = await signup(ctx.app, 'Author');
    const other = await signup(ctx.app, 'Other');
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/api/posts',
      headers: { cookie: author.cookie },
      payload: postBody({ kind: 'need', category: 'ride', capacity: 1, location: HOME, details: { destination: DEST } }),
    });
    expect(created.statusCode).toBe(201);
    // The author is entitled, and gets them.
    expect(leaks(created.body)).toHaveLength(4);
    const id = created.json().post.id;

    const responses = [
      await ctx.app.inject({ method: 'GET', url: `/api/posts/${id}` }),
      await ctx.app.inject({ method: 'GET', url: `/api/posts/${id}`, headers: { cookie: other.cookie } }),
      await ctx.app.inject({ method: 'GET', url: '/api/posts?bbox=-74.1,40.6,-73.8,40.8' }),
      await ctx.app.inject({ method: 'GET', url: '/api/posts?bbox=-74.1,40.6,-73.8,40.8', headers: { cookie: other.cookie } }),
      await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${id}`, headers: { cookie: other.cookie }, payload: { location: HOME } }),
      await ctx.app.inject({ method: 'DELETE', url: `/api/posts/${id}`, headers: { cookie: other.cookie } }),
      await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${id}`, payload: { title: 'anonymous' } }),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 403, 403, 401]);
    for (const r of responses) {
      expect(leaks(r.body)).toEqual([]);
    }

    // The author's own mistakes: the message names the field, never echoes the value.
    const bad = await ctx.app.inject({
      method: 'POST',
      url: '/api/posts',
      headers: { cookie: author.cookie },
      payload: postBody({ location: { lat: HOME.lat, lng: HOME.lng, alt: 3 }, radiusM: 1 }),
    });
    expect(bad.statusCode).toBe(400);
    expect(leaks(bad.body)).toEqual([]);

    expect(logs.length).toBeGreaterThan(10);
    expect(logs.join('\n')).toMatch(/"requestId"/);
    expect(leaks(logs.join('\n'))).toEqual([]);
    // A database failure is logged without the query's parameters.
    await ctx.database.db.execute(sql`
      CREATE FUNCTION refuse_posts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'posts are closed'; END $$`);
    await ctx.database.db.execute(sql`CREATE TRIGGER refuse BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION refuse_posts()`);
    const failed = await ctx.app.inject({
      method: 'POST',
      url: '/api/posts',
      headers: { cookie: author.cookie },
      payload: postBody({ location: HOME }),
    });
    expect(failed.statusCode).toBe(500);
    expect(failed.json().detail).toBe('Something went wrong on our side. Please try again in a moment.');
    const errorLines = logs.filter((l) => l.includes('"level":50'));
    expect(errorLines.join('\n')).toMatch(/database query failed: posts are closed/);
    expect(leaks(logs.join('\n'))).toEqual([]);
    expect(leaks(failed.body)).toEqual([]);

    // Nor the session tokens.
    const token = author.cookie.split('=')[1]!;
    expect(logs.join('\n')).not.toContain(token);
  });

  it('queries that carry a point (a draft post, communities here) are logged without it', async () => {
    const writer = await signup(ctx.app, 'Writer');
    const point = { lat: 40.683917, lng: -73.961283 };
    const q = new URLSearchParams({ kind: 'need', category: 'meal', lat: String(point.lat), lng: String(point.lng), start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' });
    const before = logs.length;
    expect((await ctx.app.inject({ method: 'GET', url: `/api/posts/similar?${q}`, headers: { cookie: writer.cookie } })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/communities?lat=${point.lat}&lng=${point.lng}` })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/posts?bbox=-73.961283,40.683917,-73.951283,40.693917` })).statusCode).toBe(200);
    const lines = logs.slice(before).join('\n');
    expect(lines).toMatch(/posts\/similar\?kind=need&category=meal&lat=…&lng=…&start=/);
    expect(lines).toMatch(/bbox=-73\.96,40\.68,-73\.95,40\.69/);
    for (const digits of ['40.683917', '73.961283', '40.6839', '73.9612']) {
      expect(lines).not.toContain(digits);
    }
  });
});
