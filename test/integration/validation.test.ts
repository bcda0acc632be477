import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { useTestApp, postBody, signup } from '../helper';

const ctx = useTestApp();
let cookie: string;

beforeAll(async () => {
  ({ cookie } = await signup(ctx.app));
});

async function countRows(): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await ctx.database.db.execute(sql`SELECT (SELECT count(*) FROM posts) + (SELECT count(*) FROM post_windows) AS n`),
  );
  return Number(row!.n);
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = res.json() as { type: string; title: string; status: number; detail: string; code: string };
  expect(body).toMatchObject({ type: 'about:blank', status });
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.detail.length).toBeGreaterThan(0);
  // Every problem has a stable machine code (snake_case words, dotted), and so does each field error.
  expect(body.code).toMatch(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/);
  const typed = body as { detail: string; code: string; errors?: { path: string; message: string; code: string; limit?: number }[] };
  for (const e of typed.errors ?? []) {
    expect(e.code).toMatch(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/);
  }
  return typed;
}

const tooManyWindows = Array.from({ length: 21 }, (_, i) => ({
  start: `2026-12-${String(i + 2).padStart(2, '0')}T10:00:00Z`,
  end: `2026-12-${String(i + 2).padStart(2, '0')}T11:00:00Z`,
}));
const weekly = { days: ['mon'], startTime: '10:00', endTime: '11:00', timezone: 'Europe/Berlin' };

// [what, body overrides, the path that must be named]
const BAD_POSTS: [string, Record<string, unknown>, string][] = [
  ['latitude above 90', { location: { lat: 91, lng: 0 } }, '/location/lat'],
  ['longitude below -180', { location: { lat: 0, lng: -180.5 } }, '/location/lng'],
  ['a string for the location', { location: '40.6,-73.9' }, '/location'],
  ['an array for the location', { location: [40.6, -73.9] }, '/location'],
  ['a string for a number', { radiusM: '3000' }, '/radiusM'],
  ['an unknown kind', { kind: 'request' }, '/kind'],
  ['an unknown category', { category: 'plumbing' }, '/category'],
  ['an unknown weekday', { recurrence: { ...weekly, days: ['mon', 'funday'] } }, '/recurrence/days/1'],
  ['an unknown dietary tag', { details: { dietary: ['paleo'] } }, '/details/dietary/0'],
  ['an unknown time zone', { recurrence: { ...weekly, timezone: 'Mars/Olympus' } }, '/recurrence/timezone'],
  ['a malformed time of day', { recurrence: { ...weekly, startTime: '9am' } }, '/recurrence/startTime'],
  ['a rule that starts and ends at once', { recurrence: { ...weekly, endTime: '10:00' } }, '/recurrence/endTime'],
  ['until before from', { recurrence: { ...weekly, from: '2027-01-10', until: '2027-01-01' } }, '/recurrence/until'],
  ['a non-date until', { recurrence: { ...weekly, until: 'next year' } }, '/recurrence/until'],
  ['an end before its start', { windows: [{ start: '2026-12-03T10:00:00Z', end: '2026-12-03T09:00:00Z' }] }, '/windows/0/end'],
  ['a non-date start', { windows: [{ start: 'tomorrow', end: '2026-12-03T09:00:00Z' }] }, '/windows/0/start'],
  ['a date-time without offset', { windows: [{ start: '2026-12-03T10:00:00', end: '2026-12-03T11:00:00' }] }, '/windows/0/start'],
  ['an impossible date', { windows: [{ start: '2026-02-30T10:00:00Z', end: '2026-03-01T11:00:00Z' }] }, '/windows/0/start'],
  ['more than 20 windows', { windows: tooManyWindows }, '/windows'],
  ['no time at all', { windows: [] }, '/windows'],
  ['only past windows', { windows: [{ start: '2026-11-01T10:00:00Z', end: '2026-11-01T11:00:00Z' }] }, '/windows'],
  ['a title over 120 characters', { title: 'x'.repeat(121) }, '/title'],
  ['a blank title', { title: '   ' }, '/title'],
  ['a description over 2,000 characters', { description: 'x'.repeat(2001) }, '/description'],
  ['a radius under 100 m', { radiusM: 99 }, '/radiusM'],
  ['a radius over 50 km', { radiusM: 50_001 }, '/radiusM'],
  ['capacity 0', { capacity: 0 }, '/capacity'],
  ['a fractional capacity', { capacity: 1.5 }, '/capacity'],
  ['capacity for a category that does not count', { category: 'grocery', details: {}, capacity: 3 }, '/capacity'],
  ['a ride need without destination', { kind: 'need', category: 'ride', details: {}, capacity: 1 }, '/details/destination'],
  ['a ride destination out of range', { category: 'ride', details: { destination: { lat: 0, lng: 200 } } }, '/details/destination/lng'],
  ['tutoring without subject', { category: 'tutoring', details: { languages: ['es'] } }, '/details/subject'],
  ['a malformed language tag', { category: 'tutoring', details: { subject: 'Math', languages: ['en_US!'] } }, '/details/languages/0'],
  ['an unknown tutoring mode', { category: 'tutoring', details: { subject: 'Math', mode: 'telepathy' } }, '/details/mode'],
  ['meal details on a repair', { category: 'repair', capacity: 1, details: { dietary: ['vegan'] } }, '/details/dietary'],
  ['an unknown field', { raduisM: 3000 }, '/raduisM'],
  ['an array for details', { details: ['vegan'] }, '/details'],
];

describe('bad post bodies get a 400 problem that names the field, and write nothing', () => {
  it.each(BAD_POSTS)('%s', async (_what, overrides, path) => {
    const before = await countRows();
    const res = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie }, payload: postBody(overrides) });
    const body = expectProblem(res, 400);
    expect(body.errors?.map((e) => e.path)).toContain(path);
    for (const e of body.errors ?? []) {
      expect(e.message.length).toBeGreaterThan(3);
    }
    expect(await countRows()).toBe(before);
  });

  it('says everything wrong at once', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/posts',
      headers: { cookie },
      payload: postBody({ title: '', radiusM: 5, location: { lat: 100, lng: 0 } }),
    });
    const body = expectProblem(res, 400);
    expect(body.errors?.map((e) => e.path).sort()).toEqual(['/location/lat', '/radiusM', '/title']);
  });
});

describe('malformed requests', () => {
  async function raw(payload: string, contentType = 'application/json') {
    return ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie, 'content-type': contentType }, payload });
  }

  it('malformed JSON → 400, without echoing the body', async () => {
    const body = expectProblem(await raw('{"title": "secret 40.678213", '), 400);
    expect(body.detail).toBe('The request body is not valid JSON.');
  });

  it('an array or a string where the body object belongs → 400', async () => {
    expectProblem(await raw('[1,2,3]'), 400);
    expectProblem(await raw('"a post"'), 400);
    expectProblem(await raw('null'), 400);
  });

  it('an empty body → 400', async () => {
    expectProblem(await raw(''), 400);
  });

  it('__proto__ and constructor keys → 400', async () => {
    const proto = expectProblem(await raw(JSON.stringify(postBody()).replace('{', '{"__proto__":{"admin":true},')), 400);
    expect(proto.detail).toMatch(/forbidden key/);
    const ctor = expectProblem(await raw(JSON.stringify(postBody()).replace('{', '{"constructor":{"prototype":{"x":1}},')), 400);
    expect(ctor.detail).toMatch(/forbidden key/);
  });

  it('a body over 64 KB → 413', async () => {
    const body = expectProblem(await raw(JSON.stringify(postBody({ description: 'x'.repeat(70_000) }))), 413);
    expect(body.detail).toMatch(/64 KB/);
  });

  it('a body that is not JSON → 415', async () => {
    expectProblem(await raw('title=Soup', 'application/x-www-form-urlencoded'), 415);
  });

  it('an empty PATCH → 400', async () => {
    const created = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie }, payload: postBody() });
    const res = await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${created.json().post.id}`, headers: { cookie }, payload: {} });
    expectProblem(res, 400);
  });
});

describe('bad listing queries', () => {
  it.each([
    ['no bbox', '', '/bbox'],
    ['three numbers', 'bbox=1,2,3', '/bbox'],
    ['words', 'bbox=a,b,c,d', '/bbox'],
    ['an empty part', 'bbox=1,,3,4', '/bbox'],
    ['latitude out of range', 'bbox=-74,40,-73,95', '/bbox'],
    ['longitude out of range', 'bbox=-190,40,-73,41', '/bbox'],
    ['south above north', 'bbox=-74,41,-73,40', '/bbox'],
    ['an unknown kind', 'bbox=-74,40,-73,41&kind=wish', '/kind'],
    ['an unknown category', 'bbox=-74,40,-73,41&category=meal,plumbing', '/category'],
    ['a non-date from', 'bbox=-74,40,-73,41&from=yesterday', '/from'],
    ['to before from', 'bbox=-74,40,-73,41&from=2026-12-05T00:00:00Z&to=2026-12-04T00:00:00Z', '/to'],
    ['a limit over 1000', 'bbox=-74,40,-73,41&limit=1001', '/limit'],
    ['a limit that is not a number', 'bbox=-74,40,-73,41&limit=many', '/limit'],
    ['a forged cursor', 'bbox=-74,40,-73,41&cursor=bm90LWEtY3Vyc29y', '/cursor'],
    ['a cursor with a malformed id', `bbox=-74,40,-73,41&cursor=${Buffer.from(JSON.stringify(['2026-12-01T00:00:00Z', '-'.repeat(36)])).toString('base64url')}`, '/cursor'],
    ['a cursor from year 20000', `bbox=-74,40,-73,41&cursor=${Buffer.from(JSON.stringify(['20000', '6b1f7a3e-0c8d-4e2a-9b5f-3d2c1a0e9f87'])).toString('base64url')}`, '/cursor'],
    ['an unknown parameter', 'bbox=-74,40,-73,41&near=me', '/near'],
  ])('%s → 400 naming %s', async (_what, query, path) => {
    const res = await ctx.app.inject({ method: 'GET', url: `/api/posts?${query}` });
    const body = expectProblem(res, 400);
    expect(body.errors?.map((e) => e.path)).toContain(path);
  });
});

describe('ids', () => {
  it('non-UUID ids → 400 on every post route; unknown ids → 404', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const bad = await ctx.app.inject({ method, url: '/api/posts/123', headers: { cookie }, payload: method === 'PATCH' ? { title: 'x' } : undefined });
      expectProblem(bad, 400);
      // A URN-prefixed UUID is valid to some validators but not to PostgreSQL: a 400, not a 500.
      const urn = await ctx.app.inject({ method, url: '/api/posts/urn:uuid:6b1f7a3e-0c8d-4e2a-9b5f-3d2c1a0e9f87', headers: { cookie }, payload: method === 'PATCH' ? { title: 'x' } : undefined });
      expectProblem(urn, 400);
      const unknown = await ctx.app.inject({
        method,
        url: '/api/posts/6b1f7a3e-0c8d-4e2a-9b5f-3d2c1a0e9f87',
        headers: { cookie },
        payload: method === 'PATCH' ? { title: 'x' } : undefined,
      });
      expectProblem(unknown, 404);
    }
  });

  it('an unknown API route → 404 problem', async () => {
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/nothing-here' }), 404);
  });
});

describe('nullable fields', () => {
  it('a number for a nullable description says both allowed forms once', async () => {
    const created = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie }, payload: postBody() });
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/posts/${created.json().post.id}`,
      headers: { cookie },
      payload: { description: 42 },
    });
    const body = expectProblem(res, 400);
    expect(body.errors).toEqual([{ path: '/description', message: 'must be a string or null', code: 'type' }]);
  });
});

describe('empty query parameters', () => {
  it('mean no filter, as a URL template or a form sends them', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/posts?bbox=-74.05,40.60,-73.85,40.75&kind=&category=&from=&to=&limit=&cursor=' });
    expect(res.statusCode).toBe(200);
    const missing = await ctx.app.inject({ method: 'GET', url: '/api/posts?bbox=' });
    expect(expectProblem(missing, 400).errors).toEqual([{ path: '/bbox', message: 'is required', code: 'required' }]);
  });
});

describe('text PostgreSQL cannot store as given', () => {
  it.each([
    ['a NUL in the title', { title: 'a\u0000b' }, '/title'],
    ['a NUL in a detail', { category: 'tutoring', capacity: 1, details: { subject: 'Ma\u0000th' } }, '/details/subject'],
    ['a lone surrogate in the description', { description: 'broken \ud800 pair' }, '/description'],
    ['a lone surrogate in a detail key', { details: { ['\udc00']: 1 } }, '/details/\udc00'],
  ])('%s → 400, nothing written', async (_what, overrides, path) => {
    const before = await countRows();
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/posts',
      headers: { cookie, 'content-type': 'application/json' },
      // JSON.stringify escapes lone surrogates as \udxxx, which JSON.parse turns back into them.
      payload: JSON.stringify(postBody(overrides)),
    });
    const body = expectProblem(res, 400);
    expect(body.errors?.[0]?.path).toBe(path);
    expect(await countRows()).toBe(before);
  });

  it('a NUL in a login address → 400, not a server error', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'a\u0000@example.org', password: 'x' } });
    expectProblem(res, 400);
  });

  it('well-formed text of every script is fine', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie }, payload: postBody({ title: '𝔸𝕚𝕕 🧑🏽‍🦽 עזרה 援助' }) });
    expect(res.statusCode).toBe(201);
    expect(res.json().post.title).toBe('𝔸𝕚𝕕 🧑🏽‍🦽 עזרה 援助');
  });
});

// Issue 16: clients show their own words for a problem, keyed by stable codes, not the English detail.
describe('problems carry stable codes', () => {
  const post = (payload: unknown) => ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie }, payload: payload as Record<string, unknown> });

  it('a validation problem is `invalid`, each field error coded by its rule or JSON-schema keyword, with its limit', async () => {
    const body = expectProblem(
      await post(postBody({ title: 'x'.repeat(121), radiusM: 99, windows: [{ start: '2026-12-03T10:00:00Z', end: '2026-12-03T09:00:00Z' }], raduisM: 1 })),
      400,
    );
    expect(body.code).toBe('invalid');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/title', code: 'max_length', limit: 120 }),
        expect.objectContaining({ path: '/radiusM', code: 'minimum', limit: 100 }),
        expect.objectContaining({ path: '/raduisM', code: 'unknown_field' }),
      ]),
    );
    // Rules of our own, checked once the schema is met.
    const times = expectProblem(await post(postBody({ title: '  ', windows: [{ start: '2026-12-03T10:00:00Z', end: '2026-12-03T09:00:00Z' }] })), 400);
    expect(times.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/windows/0/end', code: 'window.end_before_start' }),
        expect.objectContaining({ path: '/title', code: 'blank' }),
      ]),
    );
    const missing = expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie }, payload: { kind: 'need' } }), 400);
    expect(missing.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/title', code: 'required' })]));
    const date = expectProblem(await post(postBody({ windows: [{ start: 'tomorrow', end: '2026-12-03T09:00:00Z' }] })), 400);
    expect(date.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/windows/0/start', code: 'format.date_time' })]));
  });

  it('other problems name what happened, or at least their status', async () => {
    const unknownPost = '6b1f7a3e-0c8d-4e2a-9b5f-3d2c1a0e9f87';
    expect(expectProblem(await ctx.app.inject({ method: 'GET', url: `/api/posts/${unknownPost}` }), 404).code).toBe('post.not_found');
    expect(expectProblem(await ctx.app.inject({ method: 'GET', url: `/api/matches/${unknownPost}`, headers: { cookie } }), 404).code).toBe('match.not_found');
    expect(expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/posts', payload: postBody() }), 401).code).toBe('sign_in');
    expect(expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.org', password: 'not the password' } }), 401).code).toBe(
      'auth.wrong_credentials',
    );
    const raw = (payload: string, type = 'application/json') => ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie, 'content-type': type }, payload });
    expect(expectProblem(await raw('{"title": '), 400).code).toBe('body.not_json');
    expect(expectProblem(await raw(JSON.stringify(postBody({ description: 'x'.repeat(70_000) }))), 413).code).toBe('too_large');
    expect(expectProblem(await raw('title=Soup', 'application/x-www-form-urlencoded'), 415).code).toBe('unsupported_media_type');
    expect(expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/nothing-here' }), 404).code).toBe('not_found');
  });

  it('the OpenAPI document says problems have a code', async () => {
    const doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> }> }>> };
    const notFound = doc.paths['/api/posts/{id}']!.get!.responses['404']!.content!;
    const schema = Object.values(notFound)[0]!.schema;
    expect(schema.required).toContain('code');
    expect(Object.keys(schema.properties ?? {})).toContain('code');
  });
});
