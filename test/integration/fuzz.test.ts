// Fuzzes every write route (POST, PUT, PATCH, DELETE under /api) from its own
// TypeBox schema. Each route's body, params and headers schemas become
// fast-check arbitraries of values the schema accepts (with ids of real
// posts, matches, communities and people, so requests get past the 404 into
// the real logic) and of values it refuses (wrong types, missing and unknown
// fields, huge strings, infinite numbers, deep nesting, NUL and broken
// surrogates, bodies that are not JSON at all). For every request:
//   1. the answer is never 5xx (the database is up: a 503 is a bug here too),
//      and a 4xx is application/problem+json with a title and a detail a
//      person can read;
//   2. a 4xx wrote nothing: a fingerprint of the database before and after
//      the request is the same.
// The seed is fixed, so CI draws the same requests every time. A failure
// prints fast-check's seed (FUZZ_SEED plus the route's place in the list) and
// the shrunk request; replay it with the same FUZZ_SEED and `-t '<route>'`.
// FUZZ_SEED=<n> FUZZ_RUNS_SCALE=4 searches further on a developer's machine.
import { channel } from 'node:diagnostics_channel';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { grantModerator } from '../../server/moderation/service';
import { buildTestApp, postBody, signup } from '../helper';
import { MealDetailsSchema, RideDetailsSchema, TutoringDetailsSchema } from '../../server/contract/posts';
import { authenticate } from '../../server/auth/session';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);
const RUNS_SCALE = Number(process.env.FUZZ_RUNS_SCALE ?? 1);
/** Runs per route; fewer where every request costs an argon2 hash (about 40 ms here) or a new sign-in. */
const DEFAULT_RUNS = 30;
const RUNS: Record<string, number> = {
  'POST /api/auth/signup': 12,
  'POST /api/auth/login': 12,
  'POST /api/me/password': 12,
  'POST /api/auth/logout': 8,
};
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// ---- the routes, as the app registers them ------------------------------------------------------

// Fastify publishes every new instance on this diagnostics channel (the hook
// point APM agents use), so an onRoute hook added here sees each route's own
// options, schemas included, through the same buildApp as production.
const discovered: RouteOptions[] = [];
const initialization = channel('fastify.initialization');
const onInstance = (message: unknown) => {
  (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => {
    discovered.push(route);
  });
};
initialization.subscribe(onInstance);
// Built while the file is collected, so each route gets a test of its own.
let built: Awaited<ReturnType<typeof buildTestApp>>;
try {
  built = await buildTestApp();
} finally {
  initialization.unsubscribe(onInstance);
}
const ctx = built;
const { app, clock } = ctx;

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  minProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

interface WriteRoute {
  method: string;
  url: string;
  name: string;
  params?: JsonSchema;
  body?: JsonSchema;
  headers?: JsonSchema;
  signedIn: boolean;
  /** Authorized by a token in its URL, not a cookie (one-click unsubscribe): open to other sites by design. */
  tokenAuthorized: boolean;
}

const routes: WriteRoute[] = discovered.flatMap((route) =>
  [route.method]
    .flat()
    .filter((method) => WRITE_METHODS.has(method) && route.url.startsWith('/api/'))
    .map((method) => {
      const schema = (route.schema ?? {}) as { params?: JsonSchema; body?: JsonSchema; headers?: JsonSchema };
      return {
        method,
        url: route.url,
        name: `${method} ${route.url}`,
        params: schema.params,
        body: schema.body,
        headers: schema.headers,
        signedIn: [route.preValidation].flat().includes(authenticate),
        tokenAuthorized: (route.config as { tokenAuthorized?: boolean } | undefined)?.tokenAuthorized === true,
      };
    }),
);

// ---- the world the requests act on ---------------------------------------------------------------

interface Person {
  id: string;
  email: string;
  password: string;
  cookie: string;
}

const NIL = '00000000-0000-0000-0000-000000000000';
/** Ids of real things, read when a value is generated (a world's posts are replaced between routes). */
const pools = {
  post: [] as string[],
  need: [] as string[],
  offer: [] as string[],
  match: [] as string[],
  community: [] as string[],
  user: [] as string[],
  session: [] as string[],
  invite: [] as string[],
  email: [] as string[],
};
type PoolName = keyof typeof pools;

let me: Person;
let neighbor: Person;
let member: Person;
let outsider: Person;
let communityId: string;

async function call(who: Person | null, method: string, url: string, payload?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({
    method: method as 'GET',
    url,
    headers: who ? { cookie: who.cookie } : {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

/** A fixture step that must succeed. */
async function must(who: Person | null, method: string, url: string, payload?: unknown): Promise<Record<string, { id: string; code?: string }>> {
  const res = await call(who, method, url, payload);
  if (res.statusCode >= 300) {
    throw new Error(`fixture ${method} ${url}: ${res.statusCode} ${res.body}`);
  }
  return res.statusCode === 204 ? {} : res.json();
}

async function person(name: string): Promise<Person> {
  const made = await signup(app, name);
  return { ...made, password: 'correct horse battery' };
}

/** Signs `who` in again when a fuzzed request ended their session (sign-out, password change, suspension). */
async function ensureSignedIn(who: Person): Promise<void> {
  if ((await call(who, 'GET', '/api/me')).statusCode === 200) {
    return;
  }
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: who.email, password: who.password } });
  if (res.statusCode !== 200) {
    throw new Error(`signing ${who.email} in again: ${res.statusCode} ${res.body}`);
  }
  const setCookie = [res.headers['set-cookie']].flat()[0]!;
  who.cookie = setCookie.split(';')[0]!;
  if (who === me) {
    await listSessions();
  }
}

async function listSessions(): Promise<void> {
  const { items } = (await must(me, 'GET', '/api/me/sessions')) as unknown as { items: { id: string }[] };
  pools.session.splice(0, pools.session.length, ...items.map((s) => s.id));
}

/**
 * Undoes what valid fuzzed requests may have done to the fixture people:
 * suspensions (platform and community), blocks, roles, leaving. Written in
 * SQL because no API can undo all of them (an admin who stepped down cannot
 * promote themselves back); only the test's own people are touched.
 */
async function repairPeople(): Promise<void> {
  const ids = [me.id, neighbor.id, member.id];
  const list = sql.join(
    ids.map((id) => sql`${id}::uuid`),
    sql`, `,
  );
  await ctx.database.db.execute(sql`UPDATE users SET suspended_at = NULL WHERE id IN (${list})`);
  await ctx.database.db.execute(sql`DELETE FROM blocks WHERE blocker_id IN (${list}) OR blocked_id IN (${list})`);
  await ctx.database.db.execute(sql`INSERT INTO memberships (community_id, user_id, role)
    VALUES (${communityId}::uuid, ${me.id}::uuid, 'admin'), (${communityId}::uuid, ${neighbor.id}::uuid, 'member'), (${communityId}::uuid, ${member.id}::uuid, 'member')
    ON CONFLICT (community_id, user_id) DO UPDATE SET role = excluded.role, suspended_at = NULL`);
  for (const who of [me, neighbor]) {
    await ensureSignedIn(who);
  }
}

/** Fresh posts and matches (the last route may have cancelled, hidden or completed them). */
async function freshWorld(): Promise<void> {
  const post = async (who: Person, overrides: Record<string, unknown>) => (await must(who, 'POST', '/api/posts', postBody(overrides))).post!.id;
  const myOffer = await post(me, {});
  const myNeed = await post(me, { kind: 'need', capacity: 1, details: {} });
  const theirNeed = await post(neighbor, { kind: 'need', capacity: 1, details: {} });
  const theirOffer = await post(neighbor, { title: 'Soup on Sundays' });
  const hidden = await post(neighbor, { kind: 'need', category: 'errand', capacity: undefined, details: {} });
  await must(me, 'POST', `/api/posts/${hidden}/hide`, { reason: 'fixture: a hidden post to bring back' });
  // One match waiting for my answer, one accepted (messages, complete, cancel).
  const proposed = (await must(neighbor, 'POST', '/api/matches', { needId: theirNeed, offerId: myOffer })).match!.id;
  const accepted = (await must(me, 'POST', '/api/matches', { needId: myNeed, offerId: theirOffer })).match!.id;
  await must(neighbor, 'POST', `/api/matches/${accepted}/accept`);
  pools.post.splice(0, pools.post.length, myOffer, myNeed, theirNeed, theirOffer, hidden);
  pools.need.splice(0, pools.need.length, myNeed, theirNeed);
  pools.offer.splice(0, pools.offer.length, myOffer, theirOffer);
  pools.match.splice(0, pools.match.length, proposed, accepted);
}

/** Routes that act on posts or matches get a fresh world first. */
const NEEDS_WORLD = /^\/api\/(posts\/|matches|flags|communities\/:id\/assignments)/;

beforeAll(async () => {
  me = await person('Fuzzer');
  neighbor = await person('Neighbor');
  member = await person('Member');
  outsider = await person('Outsider');
  // A moderator and a community's admin: the routes reach their deepest checks.
  await grantModerator(ctx.database.db, me.email, clock.now());
  const square = polygon(-73.99, 40.64, 0.06);
  communityId = (await must(me, 'POST', '/api/communities', { name: 'Fuzz Heights', slug: 'fuzz-heights', boundary: square, timezone: 'America/New_York', joinPolicy: 'open' })).community!.id;
  await must(neighbor, 'POST', `/api/communities/${communityId}/join`, {});
  await must(member, 'POST', `/api/communities/${communityId}/join`, {});
  const { invite } = await must(me, 'POST', `/api/communities/${communityId}/invites`, {});
  // A second session of mine, to be named by DELETE /api/me/sessions/:id.
  await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: me.email, password: me.password } });
  await listSessions();
  pools.community.push(communityId);
  pools.user.push(me.id, neighbor.id, member.id, outsider.id);
  pools.invite.push(invite!.code!);
  pools.email.push(me.email, neighbor.email, outsider.email);
  await freshWorld();
  fingerprintSql = await fingerprintQuery();
});

afterAll(async () => {
  await app.close();
});

// ---- the database's fingerprint ------------------------------------------------------------------

/**
 * Every table of the public schema, except what changes on any request by
 * design:
 *  - rate_counters: the limits count every attempt before the handler runs,
 *    refused ones included (server/limits/plugin.ts): that is their job;
 *  - sessions.last_seen_at: written by any signed-in request when older than
 *    a few minutes (server/auth/session.ts); the rest of a session counts;
 *  - tables owned by an extension (PostGIS's spatial_ref_sys): reference data.
 * idempotency_keys is kept: a key is recorded only in the transaction that
 * makes its resource, so a refused request must not leave one.
 *
 * A table is fingerprinted by its row count and the newest xmin among its
 * rows: every committed INSERT or UPDATE writes a row version stamped with
 * its (new, higher) transaction id, and a DELETE alone lowers the count, so
 * any committed write shows, while a rolled-back one leaves only invisible
 * versions. That reads no row's content (md5 of every row as text took 20–30
 * ms once the live outbox held a few hundred jsonb rows). A table with a
 * column left out is fingerprinted by the md5 of its other columns instead.
 */
const UNFINGERPRINTED = new Set(['rate_counters', 'sessions.last_seen_at']);
let fingerprintSql = '';

async function fingerprintQuery(): Promise<string> {
  const columns = rowsOf<{ table_name: string; column_name: string }>(
    await ctx.database.db.execute(sql`
      SELECT c.table_name, c.column_name
      FROM information_schema.columns c
      JOIN pg_class t ON t.relname = c.table_name AND t.relkind IN ('r', 'p')
      JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
      WHERE c.table_schema = 'public'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = t.oid AND d.deptype = 'e')
      ORDER BY c.table_name, c.ordinal_position`),
  );
  const tables = new Map<string, { kept: string[]; partial: boolean }>();
  for (const { table_name: table, column_name: column } of columns) {
    if (UNFINGERPRINTED.has(table)) {
      continue;
    }
    const entry = tables.get(table) ?? { kept: [], partial: false };
    if (UNFINGERPRINTED.has(`${table}.${column}`)) {
      entry.partial = true;
    } else {
      entry.kept.push(`"${column}"`);
    }
    tables.set(table, entry);
  }
  expect(tables.has('posts') && tables.get('sessions')?.partial && !tables.has('spatial_ref_sys') && !tables.has('rate_counters')).toBe(true);
  return [...tables]
    .map(([table, { kept, partial }]) =>
      partial
        ? `SELECT '${table}' AS t, count(*)::int AS n, md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text COLLATE "C"), '')) AS h FROM (SELECT ${kept.join(', ')} FROM "${table}") r`
        : `SELECT '${table}' AS t, count(*)::int AS n, 'xmin ' || coalesce(max(xmin::text::bigint), 0) AS h FROM "${table}"`,
    )
    .join('\nUNION ALL\n');
}

async function fingerprint(): Promise<Record<string, string>> {
  const rows = rowsOf<{ t: string; n: number; h: string }>(await ctx.database.db.execute(sql.raw(fingerprintSql)));
  return Object.fromEntries(rows.map((r) => [r.t, `${r.n} rows, ${r.h}`]));
}

// ---- schema → arbitrary ---------------------------------------------------------------------------

const T0 = clock.now().getTime();
const MINUTE = 60_000;

/** An instant from two days before the test clock to two months after, as RFC 3339 (Z or an offset). */
const nearClock = fc
  .tuple(fc.integer({ min: -2 * 24 * 60, max: 60 * 24 * 60 }), fc.constantFrom(0, 330, -300, 765))
  .map(([m, offset]) => {
    // The same instant written as the wall time at that offset.
    const wall = new Date(T0 + (m + offset) * MINUTE).toISOString().slice(0, 19);
    if (offset === 0) {
      return `${wall}Z`;
    }
    const abs = Math.abs(offset);
    return `${wall}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  });
const anyDateTime = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const anyDate = anyDateTime.map((s) => s.slice(0, 10));
const nearDate = nearClock.map((s) => s.slice(0, 10));
const timeWindow = fc
  .tuple(fc.integer({ min: -60, max: 30 * 24 * 60 }), fc.integer({ min: -60, max: 8 * 60 }))
  .map(([start, length]) => ({
    start: new Date(T0 + start * MINUTE).toISOString(),
    end: new Date(T0 + (start + length) * MINUTE).toISOString(),
  }));
const nearBrooklyn = fc.record({
  lat: fc.double({ min: 40.6, max: 40.75, noNaN: true }),
  lng: fc.double({ min: -74.05, max: -73.85, noNaN: true }),
});

/** A closed square ring, GeoJSON order ([lng, lat]). */
function polygon(west: number, south: number, size: number) {
  const ring = [
    [west, south],
    [west + size, south],
    [west + size, south + size],
    [west, south + size],
    [west, south],
  ];
  return { type: 'Polygon', coordinates: [ring] };
}
const area = fc
  .tuple(fc.double({ min: -74.1, max: -73.8, noNaN: true }), fc.double({ min: 40.55, max: 40.8, noNaN: true }), fc.double({ min: 0.001, max: 0.2, noNaN: true }), fc.boolean())
  .map(([west, south, size, multi]) => {
    const p = polygon(west, south, size);
    return multi ? { type: 'MultiPolygon', coordinates: [p.coordinates] } : p;
  });

function fromPool(name: PoolName, fallback: string): fc.Arbitrary<string> {
  return fc.nat({ max: 1000 }).map((i) => {
    const pool = pools[name];
    return pool.length > 0 ? pool[i % pool.length]! : fallback;
  });
}

/** Which pool a path's `:id` names, by the route's URL. */
const ID_POOLS: [RegExp, PoolName][] = [
  [/^\/api\/posts\//, 'post'],
  [/^\/api\/matches\//, 'match'],
  [/^\/api\/communities\//, 'community'],
  [/^\/api\/me\/sessions\//, 'session'],
];

/**
 * Values a person would send for a field of this name, mixed with what the
 * schema alone allows: without them, random text would almost never name a
 * real post, be a real time zone, or draw a valid area, and requests would
 * stop at the first check.
 */
const HINTS: Record<string, (schema: JsonSchema, url: string) => fc.Arbitrary<unknown> | undefined> = {
  id: (_schema, url) => {
    const pool = ID_POOLS.find(([prefix]) => prefix.test(url))?.[1];
    return pool ? fromPool(pool, NIL) : undefined;
  },
  userId: () => fromPool('user', NIL),
  needId: () => fromPool('need', NIL),
  offerId: () => fromPool('offer', NIL),
  postId: () => fromPool('post', NIL),
  code: () => fromPool('invite', 'NOSUCHCODE'),
  inviteCode: () => fromPool('invite', 'NOSUCHCODE'),
  email: () => fc.oneof(fromPool('email', 'nobody@example.org'), fc.emailAddress()),
  password: () => fc.constant(null).map(() => me.password),
  currentPassword: () => fc.constant(null).map(() => me.password),
  newPassword: () => fc.stringMatching(/^[a-z]{4,8}( [a-z]{4,9}){2,3}$/),
  location: () => nearBrooklyn,
  destination: () => nearBrooklyn,
  windows: () => fc.array(timeWindow, { minLength: 1, maxLength: 3 }),
  timezone: () => fc.constantFrom('America/New_York', 'Europe/Berlin', 'UTC', 'Asia/Kolkata', 'Pacific/Chatham', 'Mars/Olympus'),
  boundary: () => area,
  details: (_schema, url) =>
    fc.oneof(valid(MealDetailsSchema as JsonSchema, '', url), valid(RideDetailsSchema as JsonSchema, '', url), valid(TutoringDetailsSchema as JsonSchema, '', url), fc.constant({})),
  ...Object.fromEntries(
    ['start', 'end', 'from', 'to', 'until'].map((name) => [
      name,
      (schema: JsonSchema) => (schema.format === 'date-time' ? nearClock : schema.format === 'date' ? nearDate : undefined),
    ]),
  ),
};

/** A value the schema accepts (mostly: hints may be refused by the server's own checks, which is the point). */
function valid(schema: JsonSchema, name: string, url: string): fc.Arbitrary<unknown> {
  const generic = fromSchema(schema, url);
  const hint = HINTS[name]?.(schema, url);
  return hint ? fc.oneof({ arbitrary: hint, weight: 3 }, { arbitrary: generic, weight: 1 }) : generic;
}

function fromSchema(s: JsonSchema, url: string): fc.Arbitrary<unknown> {
  if ('const' in s) {
    return fc.constant(s.const);
  }
  if (s.enum) {
    return fc.constantFrom(...s.enum);
  }
  const branches = s.anyOf ?? s.oneOf;
  if (branches) {
    return fc.oneof(...branches.map((b) => fromSchema(b, url)));
  }
  if (Array.isArray(s.type)) {
    return fc.oneof(...s.type.map((type) => fromSchema({ ...s, type }, url)));
  }
  switch (s.type) {
    case 'string':
      return stringOf(s);
    case 'integer': {
      const min = Math.max(Math.ceil(s.minimum ?? -(2 ** 31)), Number.MIN_SAFE_INTEGER);
      const max = Math.min(Math.floor(s.maximum ?? 2 ** 31 - 1), Number.MAX_SAFE_INTEGER);
      return fc.integer({ min, max }).filter((n) => (s.exclusiveMinimum === undefined || n > s.exclusiveMinimum) && (s.exclusiveMaximum === undefined || n < s.exclusiveMaximum));
    }
    case 'number':
      return fc
        .double({ min: s.minimum ?? -Number.MAX_VALUE, max: s.maximum ?? Number.MAX_VALUE, noNaN: true, noDefaultInfinity: true })
        .filter((n) => (s.exclusiveMinimum === undefined || n > s.exclusiveMinimum) && (s.exclusiveMaximum === undefined || n < s.exclusiveMaximum));
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return arrayOf(s, url);
    case 'object':
      return objectOf(s, url);
    default:
      // `{}` (Type.Unknown): anything.
      return s.properties ? objectOf(s, url) : fc.jsonValue({ maxDepth: 2 });
  }
}

/** Code points, as Ajv counts minLength and maxLength. */
const codePoints = (s: string) => [...s].length;

function stringOf(s: JsonSchema): fc.Arbitrary<string> {
  switch (s.format) {
    case 'uuid':
      return fc.uuid();
    case 'date-time':
      return fc.oneof(anyDateTime, nearClock);
    case 'date':
      return fc.oneof(anyDate, nearDate);
    case 'email':
      return fc.emailAddress();
  }
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? min + 64;
  const fits = (v: string) => codePoints(v) >= min && codePoints(v) <= max;
  if (s.pattern) {
    return fc.stringMatching(new RegExp(s.pattern)).filter(fits);
  }
  const short = Math.min(max, min + 40);
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: short }) },
    // Any code point, control characters and NUL included: the schema allows them.
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: short }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: short }).filter(fits) },
    // Exactly at the limit.
    { weight: 1, arbitrary: fc.constantFrom('x', 'é', '𝕏').map((c) => c.repeat(max)) },
  );
}

function arrayOf(s: JsonSchema, url: string): fc.Arbitrary<unknown[]> {
  const item = valid(s.items ?? {}, '', url);
  const minLength = s.minItems ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxItems ?? minLength + 6, minLength + 6));
  return s.uniqueItems ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) }) : fc.array(item, { minLength, maxLength });
}

function objectOf(s: JsonSchema, url: string): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  if (Object.keys(props).length === 0 && (s.patternProperties || s.additionalProperties === true || typeof s.additionalProperties === 'object')) {
    return fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
  }
  const model = Object.fromEntries(Object.entries(props).map(([key, schema]) => [key, valid(schema, key, url)]));
  const requiredKeys = (s.required ?? []).filter((k) => k in props);
  const record = fc.record(model, { requiredKeys }) as fc.Arbitrary<Record<string, unknown>>;
  const minProperties = s.minProperties ?? 0;
  return minProperties > 0 ? record.filter((o) => Object.keys(o).length >= minProperties) : record;
}

// ---- mutations: values the schema (or the server) must refuse --------------------------------------

/** Numbers JSON.stringify cannot write; the request's text gets them through these markers. */
const RAW_NUMBERS: Record<string, string> = { '\u0001inf': '1e999', '\u0001-inf': '-1e999', '\u0001-0': '-0', '\u0001long': '123456789012345678901234567890.5e-3' };
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202egnp.exe',
  '\ufeff',
  '𝕏👩‍👩‍👧',
  '\n\r\t\v\f\b',
  "'; DROP TABLE posts; --",
  '%00%s%n',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  'NaN',
  'Infinity',
  '1e999',
  'null',
  NIL,
  'urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8',
  'A7C5E1F2-1B3C-4D5E-8F90-ABCDEF012345',
  '2026-02-30T10:00:00Z',
  '9999-12-31T23:59:59+14:00',
  '0000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '24:00',
  'America/New_York\u0000',
];
const SPECIAL_NUMBERS = [...Object.keys(RAW_NUMBERS), 1e308, -1e308, 5e-324, 2 ** 53 + 2, 2 ** 31, -(2 ** 31) - 1, 90.000001, -90.5, 180.000001, -180.5, 91, 1e21, 0.1, -1, 0];
const controlUnit = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\u202e', '\u200b', '\ufeff', '\u2028', 'é', 'a'),
);

function deeplyNested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) {
    value = i % 2 === 0 ? [value] : { a: value };
  }
  return value;
}

const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(...SPECIAL_NUMBERS),
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: controlUnit, minLength: 1, maxLength: 12 }),
  // Over every maxLength, then over the 64 KB body limit.
  fc.constantFrom(5_000, 70_000).map((n) => 'x'.repeat(n)),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 33, max: 300 }).map(deeplyNested),
  fc.constantFrom([], {}, [[]], { '': null }),
);

type Path = (string | number)[];

function nodesOf(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(value)) {
    value.forEach((v, i) => nodesOf(v, [...path, i], out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      nodesOf(v, [...path, k], out);
    }
  }
  return out;
}

interface Mutation {
  at: number;
  op: 'replace' | 'remove' | 'add';
  key: string;
  value: unknown;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat({ max: 200 }),
  op: fc.constantFrom('replace', 'remove', 'add'),
  key: fc.oneof(fc.constantFrom('raduisM', 'id', 'authorId', 'status', 'role', 'isAdmin', 'moderatorSince', ''), fc.string({ maxLength: 10 })),
  value: weird,
});

/** The value with one node replaced, removed (a required field gone) or given an unknown field; the root only when it has no other node. */
function mutate(value: unknown, m: Mutation): unknown {
  const root = structuredClone(value);
  const all = nodesOf(root);
  const paths = all.length > 1 ? all.slice(1) : all;
  const path = paths[m.at % paths.length]!;
  if (path.length === 0) {
    return m.op === 'add' && root !== null && typeof root === 'object' && !Array.isArray(root) ? { ...root, [m.key]: m.value } : m.value;
  }
  const parent = path.slice(0, -1).reduce<unknown>((node, k) => (node as Record<string | number, unknown>)[k], root) as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const target = parent[last];
  if (m.op === 'remove') {
    if (Array.isArray(parent)) {
      parent.splice(last as number, 1);
    } else {
      delete parent[last];
    }
  } else if (m.op === 'add' && target !== null && typeof target === 'object') {
    if (Array.isArray(target)) {
      target.push(m.value);
    } else {
      (target as Record<string, unknown>)[m.key] = m.value;
    }
  } else {
    parent[last] = m.value;
  }
  return root;
}

/** Bodies that are not a JSON object, or not JSON. */
const RAW_BODIES = [
  '',
  '   ',
  'null',
  '[]',
  '"a post"',
  '42',
  'true',
  '{',
  '{"a":',
  '{}}',
  '{"a":1}garbage',
  "{'kind':'offer'}",
  '{"a":1,"a":2}',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '\ufeff{}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"a":1e999}',
  'NaN',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `{"a":"${'x'.repeat(70_000)}"}`,
];

// ---- requests -------------------------------------------------------------------------------------

type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string };

interface FuzzRequest {
  params: Record<string, string>;
  body: Body;
  headers: Record<string, string>;
}

/** A path segment: encoded, or (for text encodeURIComponent refuses, like a lone surrogate) a broken UTF-8 escape. */
function segment(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

/** Already-encoded segments that are trouble of their own. */
const RAW_SEGMENTS = ['%', '%zz', '%C0%AF', '%ED%A0%80', '..', '.', '%2e%2e', 'a%2Fb', '%00', 'x'.repeat(3000)];

/** Header text Node accepts (tab, visible ASCII, Latin-1). */
const headerUnit = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9)).map((c) => String.fromCharCode(c));

/** Requests to `route`; `wellFormed`: only the valid ones (for checks made before the path and body are read). */
function requestArb(route: WriteRoute, { wellFormed = false } = {}): fc.Arbitrary<FuzzRequest> {
  const paramNames = Object.keys(route.params?.properties ?? {});
  const validParams = route.params ? (valid(route.params, '', route.url) as fc.Arbitrary<Record<string, unknown>>) : fc.constant({});
  const params = fc
    .oneof(
      { weight: 5, arbitrary: validParams.map((p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, segment(v)]))) },
      {
        weight: paramNames.length > 0 && !wellFormed ? 2 : 0,
        arbitrary: fc
          .tuple(validParams, fc.nat(), fc.oneof(weird.map(segment), fc.constantFrom(...RAW_SEGMENTS)))
          .map(([p, i, bad]) => ({ ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, segment(v)])), [paramNames[i % paramNames.length]!]: bad })),
      },
    )
    .map((p) => p as Record<string, string>);

  const raw = fc.constantFrom(...RAW_BODIES).map((text): Body => ({ kind: 'raw', text }));
  const none = fc.constant<Body>({ kind: 'none' });
  let body: fc.Arbitrary<Body>;
  if (route.body) {
    const validBody = valid(route.body, '', route.url);
    body = wellFormed ? validBody.map((value): Body => ({ kind: 'json', value })) : fc.oneof(
      { weight: 4, arbitrary: validBody.map((value): Body => ({ kind: 'json', value })) },
      { weight: 4, arbitrary: fc.tuple(validBody, mutation).map(([value, m]): Body => ({ kind: 'json', value: mutate(value, m) })) },
      { weight: 1, arbitrary: weird.map((value): Body => ({ kind: 'json', value })) },
      { weight: 1, arbitrary: raw },
      { weight: 1, arbitrary: none },
    );
  } else {
    body = wellFormed ? none : fc.oneof({ weight: 4, arbitrary: none }, { weight: 1, arbitrary: weird.map((value): Body => ({ kind: 'json', value })) }, { weight: 1, arbitrary: raw });
  }

  const headers = route.headers?.properties?.['idempotency-key']
    ? fc.option(
        fc.oneof(fc.uuid(), fc.constant('fuzz-key'), fc.constant('"quoted-key"'), fc.string({ unit: headerUnit, maxLength: 300 })),
        { nil: undefined },
      ).map((key): Record<string, string> => (key === undefined ? {} : { 'idempotency-key': key }))
    : fc.constant<Record<string, string>>({});

  const request = fc.record({ params, body, headers });
  // The router refuses a parameter over 100 characters (encoded) before any hook.
  return wellFormed ? request.filter((r) => Object.values(r.params).every((p) => p.length <= 100)) : request;
}

function urlOf(route: WriteRoute, params: Record<string, string>): string {
  return route.url.replace(/:(\w+)/g, (_all, name: string) => params[name] ?? '');
}

function payloadOf(body: Body): string | undefined {
  if (body.kind === 'none') {
    return undefined;
  }
  if (body.kind === 'raw') {
    return body.text;
  }
  let text = JSON.stringify(body.value) ?? 'null';
  for (const [marker, number] of Object.entries(RAW_NUMBERS)) {
    text = text.replaceAll(JSON.stringify(marker), number);
  }
  return text;
}

async function send(route: WriteRoute, req: FuzzRequest, extra: Record<string, string> = {}, who: Person | null = me): Promise<LightMyRequestResponse> {
  const payload = payloadOf(req.body);
  return app.inject({
    method: route.method as 'POST',
    url: urlOf(route, req.params),
    headers: {
      ...(who ? { cookie: who.cookie } : {}),
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...req.headers,
      ...extra,
    },
    ...(payload === undefined ? {} : { payload }),
  });
}

// ---- the checks -----------------------------------------------------------------------------------

/** A 4xx a person can act on: RFC 9457 problem+json, a title, a detail in words (not a stack, a code or an object). */
function expectReadableProblem(res: LightMyRequestResponse): void {
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const problem = res.json() as { status?: unknown; title?: unknown; detail?: unknown };
  expect(problem.status).toBe(res.statusCode);
  expect(typeof problem.title === 'string' && problem.title.trim().length > 0, `title of ${res.body}`).toBe(true);
  expect(typeof problem.detail === 'string' && problem.detail.trim().length > 0, `detail of ${res.body}`).toBe(true);
  const detail = problem.detail as string;
  expect(detail, 'the detail starts as a sentence').toMatch(/^[A-Z]/);
  expect(detail, 'the detail leaks no internals').not.toMatch(/\bat \S+ \(|\bFST_|\bERR_|\[object |\bundefined\b|\bNaN\b|SELECT |violates/);
}

/** The fingerprint before the next request, when nothing has changed since the last one taken. */
let known: Record<string, string> | null = null;

/** Sends one request and holds it to the two rules; afterwards puts the fixture people back where needed. */
async function check(route: WriteRoute, req: FuzzRequest, extra: Record<string, string> = {}, who: Person | null = me): Promise<LightMyRequestResponse> {
  const before = known ?? (await fingerprint());
  known = null;
  const res = await send(route, req, extra, who);
  expect(res.statusCode, `${route.method} ${urlOf(route, req.params)} answered ${res.statusCode}: ${res.body.slice(0, 500)}`).toBeLessThan(500);
  if (res.statusCode >= 400) {
    expectReadableProblem(res);
    const after = await fingerprint();
    expect(after, `${route.method} ${urlOf(route, req.params)} answered ${res.statusCode} but changed the database`).toEqual(before);
    known = after;
  } else {
    if (route.url === '/api/me/password' && req.body.kind === 'json') {
      me.password = (req.body.value as { newPassword: string }).newPassword;
    }
    await ensureSignedIn(me);
  }
  return res;
}

/** The fixture people as they were, and for routes on posts and matches (`url`) a fresh world. */
async function prepare(url: string): Promise<void> {
  await repairPeople();
  if (NEEDS_WORLD.test(url)) {
    await freshWorld();
  }
  known = null;
}

describe('fuzzing every write route from its schema: never 5xx, and a 4xx writes nothing', () => {
  it('finds the write routes and their schemas', () => {
    expect(routes.length).toBeGreaterThan(30);
    const names = routes.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['POST /api/posts', 'PATCH /api/posts/:id', 'POST /api/communities', 'DELETE /api/blocks/:userId']));
    expect(routes.find((r) => r.name === 'POST /api/posts')?.body?.required).toContain('location');
  });

  it('the fingerprint sees any committed write, and neither a rolled-back one nor last_seen_at', async () => {
    known = null;
    const before = await fingerprint();
    const rollback = ctx.database.db.transaction(async (tx) => {
      await tx.execute(sql`UPDATE users SET display_name = 'Changed' WHERE id = ${outsider.id}::uuid`);
      tx.rollback();
    });
    await expect(rollback).rejects.toThrow();
    await ctx.database.db.execute(sql`UPDATE sessions SET last_seen_at = last_seen_at + interval '1 minute'`);
    expect(await fingerprint()).toEqual(before);
    // Even a write that changes no value is a write.
    await ctx.database.db.execute(sql`UPDATE users SET display_name = display_name WHERE id = ${outsider.id}::uuid`);
    const after = await fingerprint();
    expect(after).not.toEqual(before);
    expect(Object.keys(after).filter((t) => after[t] !== before[t])).toEqual(['users']);
  });

  // Found by this fuzzer (shrunk: DELETE /api/posts/% with no body): the router answered a
  // malformed %-escape (400) or a path parameter over 100 characters (414) in Fastify's own
  // application/json, repeating the path. Fixed with `frameworkErrors` in server/app.ts.
  it('a malformed %-escape or an over-long path parameter is a problem+json 4xx', async () => {
    for (const [url, status] of [
      ['/api/posts/%', 400],
      ['/api/posts/%ED%A0%80', 400],
      [`/api/posts/${'x'.repeat(3000)}`, 414],
    ] as const) {
      const res = await app.inject({ method: 'DELETE', url, headers: { cookie: me.cookie } });
      expect(res.statusCode, url.slice(0, 30)).toBe(status);
      expectReadableProblem(res);
      expect(res.body).not.toContain('/api/posts/');
    }
  });

  // Found by this fuzzer (seed 1, runs ×4; shrunk: DELETE /api/communities/<id>/invites/%00):
  // a NUL in a path parameter reached PostgreSQL, which refuses NUL in text, and the answer was
  // a 500. Bodies were already checked for it; now the URL's params and query string are too
  // (server/plugins/validation.ts).
  it('a NUL in a path parameter is a 400 that names it, not a 500', async () => {
    for (const code of ['%00', 'a%00b']) {
      const res = await app.inject({ method: 'DELETE', url: `/api/communities/${communityId}/invites/${code}`, headers: { cookie: me.cookie } });
      expect(res.statusCode).toBe(400);
      expectReadableProblem(res);
      expect(res.json().errors).toEqual([{ path: '/code', message: expect.stringMatching(/cannot be stored/), code: 'unstorable' }]);
    }
    const query = await app.inject({ method: 'GET', url: '/api/posts?bbox=-74,40.6,-73.9,40.7&cursor=a%00', headers: { cookie: me.cookie } });
    expect(query.statusCode).toBe(400);
    expect(query.json().errors).toEqual([{ path: '/cursor', message: expect.stringMatching(/cannot be stored/), code: 'unstorable' }]);
  });

  it.for(routes.map((r) => [r.name, r] as const))('%s', async ([name, route]) => {
    await prepare(route.url);
    const runs = Math.max(1, Math.round((RUNS[name] ?? DEFAULT_RUNS) * RUNS_SCALE));
    await fc.assert(
      fc.asyncProperty(requestArb(route), async (req) => {
        if (name === 'DELETE /api/me') {
          // Deleting an account must not take the fixture's people with it: each try is made by a newcomer,
          // who gets the password the request names where it names the fixture's (so some tries succeed).
          const newcomer = await person('Newcomer');
          const body = req.body.kind === 'json' ? (req.body.value as { password?: unknown }) : null;
          if (body && body.password === me.password) {
            newcomer.password = me.password;
            await ctx.database.db.execute(sql`UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE id = ${me.id}) WHERE id = ${newcomer.id}`);
          }
          known = null;
          await check(route, req, {}, newcomer);
          return;
        }
        await check(route, req);
      }),
      // One seed per route, so routes do not all draw the same sequence.
      { seed: SEED + routes.indexOf(route), numRuns: runs },
    );
  });

  it('a foreign origin is 403, a body that is not JSON 415, no session 401: on every write route, writing nothing', async () => {
    // Any route may be drawn: a fresh world for all of them.
    await prepare('/api/posts/:id');
    const variant = fc.constantFrom('foreign origin', 'null origin', 'text/plain', 'form', 'signed out');
    // Cookie-authorized writes only; a token-authorized one is open to mail providers' servers by design (its own test: mail.test.ts).
    const guarded = routes.filter((r) => !r.tokenAuthorized);
    expect(guarded.length).toBe(routes.length - 1);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: guarded.length - 1 }).chain((i) => fc.tuple(fc.constant(guarded[i]!), requestArb(guarded[i]!, { wellFormed: true }), variant)), async ([route, req, how]) => {
        const payload = payloadOf(req.body) ?? '{}';
        const body: Body = { kind: 'raw', text: payload };
        let res: LightMyRequestResponse;
        switch (how) {
          case 'foreign origin':
            res = await check(route, req, { origin: 'https://evil.example' });
            expect(res.statusCode).toBe(403);
            break;
          case 'null origin':
            res = await check(route, req, { origin: 'null' });
            expect(res.statusCode).toBe(403);
            break;
          case 'text/plain':
            res = await check(route, { ...req, body }, { 'content-type': 'text/plain' });
            expect(res.statusCode).toBe(415);
            break;
          case 'form':
            res = await check(route, { ...req, body: { kind: 'raw', text: 'kind=offer&title=x' } }, { 'content-type': 'application/x-www-form-urlencoded' });
            expect(res.statusCode).toBe(415);
            break;
          case 'signed out':
            res = await check(route, req, {}, null);
            // Bodies are read before the session is looked at: one that cannot be read is a 400 first.
            if (route.signedIn && !(res.statusCode === 400 && /^The request body/.test(res.json().detail))) {
              expect(res.statusCode).toBe(401);
            }
            break;
        }
      }),
      { seed: SEED, numRuns: Math.round(60 * RUNS_SCALE) },
    );
  });
});
