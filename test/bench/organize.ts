// `npm run bench:organize`: what the organizer tools and the hygiene sweep
// cost at city scale, on PostgreSQL + PostGIS, against their floors.
//
//   npm run bench:organize            # INDEX=1 adds the indexes test/bench/README.md proposes
//
// (a) triage (server/communities/assignments.ts): a district's needs of the
//     next 14 days, soonest 200, each with its helpers (members' offers of the
//     same days that fit), found as one set (server/matching/pairs.ts).
//     Floor: the bare indexed listings of the same needs and offers (no
//     smallest-community test per post) + the bare read of their windows.
//     It also prints the counts as they were (every offer in the city at its
//     public point, nearest 20: countCandidates), for the notes.
// (b) plan (same file): members' needs and offers of a range, their candidate
//     pairs as one set, then server/assign. Floor: the bare listings + the bare
//     read of the posts' windows + the solver on the same graph. For the first
//     range it also runs the per-need search plans used before (findCandidates
//     with `among`, 4 at a time) and checks the pairs are the same.
// (c) sweep (server/hygiene/sweep.ts), run every minute by every server: at
//     the time-base, in a transaction rolled back afterwards (each run does the
//     same work: the needs that came due in the last minute, the proposals that
//     expired in it). Floor: the same due needs found through the GiST on
//     post_windows.during (which the sweep does not use).
// The service functions are called as the routes call them, on the app's own
// connections (openDatabase: pool of 10, jit=off); their SQL is captured
// through drizzle's logger and replayed only for EXPLAIN and the breakdowns.
//
// Data: bench:match's city (test/bench/match.ts, run as it is: 500,000 open
// posts over Chicago, createPost-checked) seeded into a database of its own,
// plus communities (a North Side district, a city-wide one that nests it,
// three other districts), their members (80 % of the authors posting there),
// the organizer, ~3 suggestions per open need, proposals updated over the last
// 12 h (about 4 expire a minute), late cancellations, and one committed sweep a
// minute before the time-base (so "still needed?" is already asked where due).
//
// Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/aidmap_bench_org,
// created when missing), POSTS (default 500,000), USERS (default 50,000),
// RUNS (timed runs per figure after one warm-up, default 5; PLAN_RUNS for plans, default 3), RESEED=1,
// INDEX=1 (create the proposed indexes first; without it they are dropped),
// PHASES (default triage,plan,sweep).
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import postgres from 'postgres';
import { type DB, openDatabase } from '../../db';
import { type AssignEdge, solveAssignmentWithStats } from '../../server/assign/solve';
import { eachLimited, FAIRNESS_M_PER_ACCEPT, plan, PLAN_GAP, PLAN_TIME_LIMIT_MS, triage } from '../../server/communities/assignments';
import { sweep } from '../../server/hygiene/sweep';
import { AUTHOR_VIEW, countCandidates, ENTITLED_VIEW, findCandidates } from '../../server/matching/candidates';
import { fittingPairs } from '../../server/matching/pairs';
import { postsRepo } from '../../server/posts/repository';
import { ensureDatabase, recordingDb } from './database';
import { intEnv } from './env';
import { percentile } from './figures';

const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/aidmap_bench_org';
const POSTS = intEnv('POSTS', 500_000);
const USERS = intEnv('USERS', 50_000);
const RUNS = intEnv('RUNS', 5);
const PLAN_RUNS = intEnv('PLAN_RUNS', 3);
const INDEX = process.env.INDEX === '1';
const PHASES = new Set((process.env.PHASES || 'triage,plan,sweep').split(','));
const TZ = 'America/Chicago';
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The district organized here: Lakeview, Lincoln Park, Uptown (about 7 × 5 km). */
const DISTRICT = { slug: 'north-side', name: 'North Side Mutual Aid', west: -87.69, south: 41.912, east: -87.625, north: 41.972 };
const OTHERS = [
  { slug: 'chicago', name: 'Chicago Mutual Aid', west: -88.0, south: 41.6, east: -87.52, north: 42.14 },
  { slug: 'logan-square', name: 'Logan Square Neighbors', west: -87.73, south: 41.91, east: -87.695, north: 41.94 },
  { slug: 'pilsen', name: 'Pilsen Solidarity', west: -87.68, south: 41.845, east: -87.635, north: 41.865 },
  { slug: 'south-shore', name: 'South Shore Cares', west: -87.6, south: 41.75, east: -87.555, north: 41.775 },
];
const ORGANIZER_ID_SQL = `md5('aidmap-bench-organizer')::uuid`;

/**
 * The indexes proposed in test/bench/README.md (INDEX=1 creates them, otherwise
 * they are dropped, so a plain run measures the schema as migrated).
 */
const PROPOSED_INDEXES = [
  // The sweep's stale proposals: `status = 'proposed' AND updated_at < … ORDER BY updated_at`.
  { name: 'bench_matches_proposed_updated_idx', def: `CREATE INDEX IF NOT EXISTS bench_matches_proposed_updated_idx ON matches (updated_at) WHERE status = 'proposed'` },
  // With the rewritten still-needed pass (SWEEP_PROPOSED_SQL): the windows meeting the next 24 h, read index-only.
  { name: 'bench_post_windows_during_post_gix', def: `CREATE INDEX IF NOT EXISTS bench_post_windows_during_post_gix ON post_windows USING gist (during) INCLUDE (post_id)` },
  // … and the open needs not asked yet, index-only (it is joined with those windows' post ids).
  { name: 'bench_posts_unasked_needs_idx', def: `CREATE INDEX IF NOT EXISTS bench_posts_unasked_needs_idx ON posts (id) WHERE kind = 'need' AND status = 'open' AND still_needed_asked_at IS NULL` },
];

type Sql = postgres.Sql;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ms = (x: number) => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const pad = (s: string, n: number) => s.padEnd(n);
const fmt = (n: number) => n.toLocaleString('en');
const envelope = (b: { west: number; south: number; east: number; north: number }) => `ST_MakeEnvelope(${b.west}, ${b.south}, ${b.east}, ${b.north}, 4326)`;

interface Stats {
  p50: number;
  p95: number;
  max: number;
  n: number;
}
function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1]!, n: s.length };
}
const show = (s: Stats) => `p50 ${pad(ms(s.p50), 9)} p95 ${pad(ms(s.p95), 9)} max ${pad(ms(s.max), 9)} (n=${s.n})`;

/** One warm-up, then RUNS timed runs of `fn`; returns the stats and the last result. */
async function timed<T>(fn: () => Promise<T>, runs = RUNS): Promise<{ stats: Stats; result: T }> {
  let result = await fn();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    result = await fn();
    xs.push(performance.now() - t);
  }
  return { stats: stats(xs), result };
}


class Rollback extends Error {}

/** Runs `fn` in a transaction that is always rolled back: the database is left as it was. */
async function rolledBack<T>(db: DB, fn: (tx: DB) => Promise<T>): Promise<T> {
  let out: T | undefined;
  try {
    await db.transaction(async (tx) => {
      out = await fn(tx as unknown as DB);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) {
      throw error;
    }
  }
  return out as T;
}

/** EXPLAIN (ANALYZE, BUFFERS) of a statement, in a transaction rolled back (the sweep's UPDATE writes). */
async function explain(raw: Sql, text: string, params: unknown[]): Promise<string> {
  let lines: string[] = [];
  try {
    await raw.begin(async (tx) => {
      const rows = await tx.unsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params as never[], { prepare: false });
      lines = rows.map((r) => r['QUERY PLAN']);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) {
      throw error;
    }
  }
  return lines.map((l) => `    ${l}`).join('\n');
}

/** Replays a captured statement on `raw`, timed (median of `n`). */
async function replay(raw: Sql, q: { sql: string; params: unknown[] }, n = 5): Promise<{ ms: number; rows: number }> {
  const xs: number[] = [];
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    rows = (await raw.unsafe(q.sql, q.params as never[], { prepare: false })).length;
    xs.push(performance.now() - t);
  }
  return { ms: stats(xs).p50, rows };
}

// ---------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------

const MARKER = 'bench_organize_seed';
/** The tables bench:match truncates when it seeds: foreign keys into them from other tables stop its TRUNCATE. */
const MATCH_TABLES = ['messages', 'matches', 'post_windows', 'posts', 'sessions', 'users'];

async function readMarker(admin: Sql): Promise<{ posts: number; users: number; complete: boolean; dropped_fks: { tbl: string; name: string; def: string }[] | null } | undefined> {
  await admin.unsafe(`CREATE TABLE IF NOT EXISTS ${MARKER} (
    id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), posts int NOT NULL, users int NOT NULL, complete boolean NOT NULL DEFAULT false,
    seconds real, dropped_fks jsonb)`);
  const [row] = await admin.unsafe(`SELECT posts, users, complete, dropped_fks FROM ${MARKER}`);
  return row as never;
}

async function restoreForeignKeys(admin: Sql, fks: { tbl: string; name: string; def: string }[]): Promise<void> {
  for (const fk of fks) {
    const [{ has }] = (await admin.unsafe(`SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = ${lit(fk.name)}) AS has`)) as unknown as [{ has: boolean }];
    if (!has) {
      await admin.unsafe(`ALTER TABLE ${fk.tbl} ADD CONSTRAINT ${fk.name} ${fk.def}`);
    }
  }
  await admin.unsafe(`UPDATE ${MARKER} SET dropped_fks = NULL`);
}

/** bench:match as it is, on this database: the city's posts, windows, users and last week's completed matches. */
async function runMatchSeed(log: (s: string) => void): Promise<void> {
  const script = fileURLToPath(new URL('./match.ts', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, POSTS: String(POSTS), USERS: String(USERS), BUDGET_S: '1', SUBJECTS: '20' };
  delete env.RESEED;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        log(`  | ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench:match exited with ${code}`))));
  });
}

/** The city (through bench:match) and the communities, members and matches on top; returns the time-base. */
async function ensureSeeded(db: DB, log: (s: string) => void): Promise<{ now: Date; seeded: boolean; seconds: number | null }> {
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {}, connection: { TimeZone: TZ, work_mem: '256MB', jit: 'off', synchronous_commit: 'off' } });
  try {
    let marker = await readMarker(admin);
    if (marker?.dropped_fks?.length) {
      log(`  a previous seeding stopped with ${marker.dropped_fks.length} foreign keys dropped; restoring them`);
      await restoreForeignKeys(admin, marker.dropped_fks);
      marker = await readMarker(admin);
    }
    const [city] = await admin.unsafe<{ posts: number; users: number; now: Date; complete: boolean; seconds: number | null }[]>(
      `SELECT posts, users, now, complete, seconds FROM bench_match_seed WHERE to_regclass('bench_match_seed') IS NOT NULL`,
    ).catch(() => [] as never[]);
    const [{ open }] = (await admin.unsafe(`SELECT count(*)::int AS open FROM posts WHERE status = 'open'`)) as unknown as [{ open: number }];
    if (!process.env.RESEED && marker?.complete && marker.posts === POSTS && marker.users === USERS && city?.complete && open === POSTS) {
      const [s] = await admin.unsafe<{ seconds: number | null }[]>(`SELECT seconds FROM ${MARKER}`);
      return { now: new Date(city.now), seeded: false, seconds: s?.seconds ?? null };
    }
    const [{ n }] = (await admin.unsafe(`SELECT count(*)::int AS n FROM posts`)) as unknown as [{ n: number }];
    if (!marker && !city && n > 0) {
      throw new Error(`${databaseUrl} holds ${n} posts that no benchmark seeded; bench:organize only fills a database of its own.`);
    }
    const started = performance.now();
    await admin.unsafe(`INSERT INTO ${MARKER} (id, posts, users, complete) VALUES (1, ${POSTS}, ${USERS}, false)
      ON CONFLICT (id) DO UPDATE SET posts = EXCLUDED.posts, users = EXCLUDED.users, complete = false, seconds = NULL`);

    if (!city?.complete || city.posts !== POSTS || city.users !== USERS || open !== POSTS || process.env.RESEED) {
      log(`seeding the city through bench:match (POSTS=${fmt(POSTS)} USERS=${fmt(USERS)}), then the communities on top`);
      // Everything goes: bench:match only seeds a database with no posts or with its own complete set.
      await admin.unsafe(`TRUNCATE communities, memberships, invites, audit_log, flags, calendar_tokens, blocks, events, ${MATCH_TABLES.join(', ')} CASCADE`);
      await admin.unsafe(`DROP TABLE IF EXISTS bench_match_seed`);
      // bench:match truncates its tables without CASCADE; the foreign keys into them from tables
      // added since (flags, communities, …) would stop it, so they are dropped for its run and put back.
      const fks = await admin.unsafe<{ tbl: string; name: string; def: string }[]>(`
        SELECT conrelid::regclass::text AS tbl, conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE contype = 'f' AND confrelid::regclass::text IN (${MATCH_TABLES.map(lit).join(',')})
          AND conrelid::regclass::text NOT IN (${MATCH_TABLES.map(lit).join(',')})`);
      await admin.unsafe(`UPDATE ${MARKER} SET dropped_fks = ${lit(JSON.stringify(fks))}::jsonb`);
      for (const fk of fks) {
        await admin.unsafe(`ALTER TABLE ${fk.tbl} DROP CONSTRAINT ${fk.name}`);
      }
      try {
        await runMatchSeed(log);
      } finally {
        await restoreForeignKeys(admin, fks);
      }
    } else {
      log(`reusing bench:match's city; seeding the communities on top again`);
      await admin.unsafe(`TRUNCATE communities, memberships, invites, audit_log, flags, blocks, events CASCADE`);
      await admin.unsafe(`DELETE FROM matches WHERE status <> 'completed'`);
      await admin.unsafe(`UPDATE posts SET still_needed_asked_at = NULL WHERE still_needed_asked_at IS NOT NULL`);
      await admin.unsafe(`DELETE FROM users WHERE id = ${ORGANIZER_ID_SQL}`);
    }
    const [{ now }] = (await admin.unsafe(`SELECT now FROM bench_match_seed`)) as unknown as [{ now: Date }];
    const nowTs = `${lit(new Date(now).toISOString())}::timestamptz`;
    let t = performance.now();
    const step = (label: string) => {
      log(`  ${label}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
      t = performance.now();
    };

    await admin.unsafe(`INSERT INTO users (id, email, password_hash, display_name, created_at)
      VALUES (${ORGANIZER_ID_SQL}, 'bench-organizer@example.org', 'not-a-hash', 'Olga O.', ${nowTs} - interval '90 days')`);
    await admin.unsafe(`
      INSERT INTO communities (id, name, slug, boundary, area_sqm, timezone, join_policy, created_by, created_at)
      SELECT md5('aidmap-bench-community:' || slug)::uuid, name, slug, ST_Multi(g)::geography, ST_Area(g::geography), ${lit(TZ)}, 'open',
             ${ORGANIZER_ID_SQL}, ${nowTs} - interval '60 days'
      FROM (VALUES ${[DISTRICT, ...OTHERS].map((c) => `(${lit(c.slug)}, ${lit(c.name)}, ${envelope(c)})`).join(', ')}) v(slug, name, g)`);
    // Members: 80 % of the people posting inside each district (hash-chosen); the organizer is the
    // district's admin; 1 % of members suspended. The city-wide community has only its admin.
    await admin.unsafe(`
      INSERT INTO memberships (community_id, user_id, role, created_at)
      SELECT c.id, u.author_id, 'member', ${nowTs} - interval '30 days'
      FROM communities c
      CROSS JOIN LATERAL (SELECT DISTINCT p.author_id FROM posts p WHERE p.status = 'open' AND ST_Covers(c.boundary, p.location)) u
      WHERE c.slug <> 'chicago' AND ('x' || substr(md5(u.author_id::text || c.slug), 1, 7))::bit(28)::int % 5 <> 0`);
    await admin.unsafe(`UPDATE memberships SET suspended_at = ${nowTs} - interval '3 days'
      WHERE ('x' || substr(md5(user_id::text || 'suspended'), 1, 7))::bit(28)::int % 100 = 0`);
    await admin.unsafe(`
      INSERT INTO memberships (community_id, user_id, role, created_at)
      SELECT id, ${ORGANIZER_ID_SQL}, 'admin', created_at FROM communities
      ON CONFLICT (community_id, user_id) DO UPDATE SET role = 'admin', suspended_at = NULL`);
    step('communities and members');

    // About three suggestions per open need (nearby offers of its category, by geohash order),
    // as suggestFor leaves them; one need in 100 has a proposal instead, updated over the last
    // 12 h + 1 minute (so about 4 proposals expire in each minute); one in 100 had a helper
    // cancel at the last minute.
    await admin.unsafe(`
      WITH o AS (
        SELECT id, category, author_id, row_number() OVER (PARTITION BY category ORDER BY ST_GeoHash(location::geometry, 8), id) AS rn
        FROM posts WHERE status = 'open' AND kind = 'offer'),
      cnt AS (SELECT category, count(*) AS n FROM o GROUP BY category),
      nd AS (
        SELECT p.id, p.category, p.author_id, p.created_at, ('x' || substr(md5(p.id::text), 1, 7))::bit(28)::int % 100 AS h,
               row_number() OVER (PARTITION BY p.category ORDER BY ST_GeoHash(p.location::geometry, 8), p.id) AS rn,
               count(*) OVER (PARTITION BY p.category) AS n
        FROM posts p WHERE p.status = 'open' AND p.kind = 'need'),
      pairs AS (
        SELECT nd.id AS need_id, o.id AS offer_id, o.author_id AS helper_id, nd.author_id AS need_author, nd.created_at, nd.h, k
        FROM nd JOIN cnt USING (category) CROSS JOIN generate_series(0, 2) k
        JOIN o ON o.category = nd.category AND o.rn = 1 + ((nd.rn * cnt.n) / nd.n + k) % cnt.n
        WHERE o.author_id <> nd.author_id)
      INSERT INTO matches (need_id, offer_id, helper_id, status, proposed_by, amount, score, accepted_at, cancelled_late, created_at, updated_at)
      SELECT need_id, offer_id, helper_id,
             (CASE WHEN k = 0 AND h = 0 THEN 'proposed' WHEN k = 0 AND h = 1 THEN 'cancelled' ELSE 'suggested' END)::match_status,
             CASE WHEN k = 0 AND h IN (0, 1) THEN need_author END, CASE WHEN k = 0 AND h = 1 THEN 1 ELSE 0 END,
             round((0.4 + random() * 0.5)::numeric, 3),
             CASE WHEN k = 0 AND h = 1 THEN ${nowTs} - interval '2 days' END, k = 0 AND h = 1,
             created_at,
             CASE WHEN k = 0 AND h = 0 THEN ${nowTs} - make_interval(secs => floor(random() * (12 * 3600 + 60)))
                  WHEN k = 0 AND h = 1 THEN ${nowTs} - interval '1 day' ELSE created_at END
      FROM pairs`);
    step('suggestions, proposals, late cancellations');
    await admin.unsafe(`VACUUM (ANALYZE) users, communities, memberships, matches, posts`);
    step('VACUUM ANALYZE');

    // One sweep a minute before the time-base, committed: "still needed?" is asked where due,
    // as on a server that has been sweeping every minute.
    const settled = await sweep(db, new Date(new Date(now).getTime() - MINUTE));
    step(`a sweep at the time-base − 1 min (asked ${fmt(settled?.asked ?? 0)}, withdrew ${settled?.withdrawn ?? 0})`);
    await admin.unsafe(`VACUUM (ANALYZE) posts, events`);
    step('VACUUM ANALYZE');
    const seconds = (performance.now() - started) / 1000;
    await admin.unsafe(`UPDATE ${MARKER} SET complete = true, seconds = ${seconds}`);
    return { now: new Date(now), seeded: true, seconds };
  } finally {
    await admin.end({ timeout: 5 });
  }
}

// ---------------------------------------------------------------------------
// Floors (not the app's SQL: the least the database must do for the same answer)
// ---------------------------------------------------------------------------

/**
 * The same needs (or offers) as communityPosts lists, by the bare indexed
 * query: posts inside the boundary (given as a parameter, not joined), open,
 * of the kind, with a window meeting the range; no smallest-community test
 * per post (this community is the smallest wherever its posts are here).
 */
const LIST_FLOOR_SQL = (membersOnly: boolean) => `
SELECT p.id, min(lower(w.during)) AS next_start
FROM posts p JOIN post_windows w ON w.post_id = p.id AND w.during && tstzrange($3::timestamptz, $4::timestamptz, '[)') AND upper(w.during) > $5::timestamptz
WHERE p.status = 'open' AND p.kind = $2::post_kind AND ST_Covers($1::geography, p.location)
  AND ($7::text[] IS NULL OR p.category::text = ANY($7::text[]))
  ${membersOnly ? `AND EXISTS (SELECT 1 FROM memberships am WHERE am.community_id = $8::uuid AND am.user_id = p.author_id AND am.suspended_at IS NULL)` : 'AND $8::uuid IS NOT NULL'}
GROUP BY p.id, p.created_at ORDER BY next_start, p.created_at, p.id LIMIT $6::int`;


/** The needs the sweep asks "still needed?", found through the GiST on post_windows.during: a window meets [now, now + lead). */
const SWEEP_FLOOR_SQL = `
SELECT p.id FROM posts p
WHERE p.id IN (SELECT w.post_id FROM post_windows w WHERE w.during && tstzrange($1::timestamptz, $2::timestamptz, '[)'))
  AND p.kind = 'need' AND p.status = 'open' AND p.still_needed_asked_at IS NULL`;

/**
 * The still-needed pass as test/bench/README.md proposes it (not the app's
 * SQL: a proposal, measured beside it). Equivalent: the first upcoming
 * window (upper > now) starts before now + lead exactly when some window
 * meets [now, now + lead). The due ids come first, index-only; the UPDATE then
 * touches only them.
 */
const SWEEP_PROPOSED_SQL = `
WITH due AS MATERIALIZED (
  SELECT q.id FROM posts q
  WHERE q.kind = 'need' AND q.status = 'open' AND q.still_needed_asked_at IS NULL
    AND EXISTS (SELECT 1 FROM post_windows w WHERE w.post_id = q.id AND w.during && tstzrange($1::timestamptz, $2::timestamptz, '[)')))
UPDATE posts p SET still_needed_asked_at = $1::timestamptz FROM due
WHERE p.id = due.id AND p.kind = 'need' AND p.status = 'open' AND p.still_needed_asked_at IS NULL
RETURNING p.id, p.author_id, p.title`;

/** The least the pairs need beyond the listings: each post's windows not over, read by the index alone. */
const WINDOWS_FLOOR_SQL = `
SELECT w.post_id, lower(w.during), upper(w.during) FROM post_windows w
WHERE w.post_id = ANY($1::uuid[]) AND upper(w.during) > $2::timestamptz`;

/** What a captured statement is, for the breakdowns. */
function labelOf(q: { sql: string }, i: number, all: { sql: string }[]): string {
  if (q.sql.includes('min(lower(w.during))')) {
    return all.slice(0, i).some((x) => x.sql.includes('min(lower(w.during))')) ? 'offers listing' : 'needs listing';
  }
  if (q.sql.includes('json_agg')) {
    return 'rows and windows';
  }
  if (q.sql.includes('FROM blocks')) {
    return 'blocks';
  }
  if (q.sql.includes('helper_id = ANY')) {
    return 'accepts';
  }
  if (q.sql.includes('NOT ST_DWithin')) {
    return 'reach at the edge';
  }
  if (q.sql.includes('cancelled_late')) {
    return 'late cancellations';
  }
  if (/memberships/i.test(q.sql) && !q.sql.includes('post_windows')) {
    return 'role check';
  }
  return q.sql.replace(/\s+/g, ' ').slice(0, 40);
}

/** Every captured statement replayed alone (median of `n`), labelled. */
async function replayAll(raw: Sql, queries: { sql: string; params: unknown[] }[], n = 5): Promise<{ label: string; ms: number; rows: number }[]> {
  const out: { label: string; ms: number; rows: number }[] = [];
  for (const [i, q] of queries.entries()) {
    out.push({ label: labelOf(q, i, queries), ...(await replay(raw, q, n)) });
  }
  return out;
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const log = (s: string) => console.log(s);
  const load = () => loadavg().map((x) => x.toFixed(2)).join(', ');
  log(`database: ${databaseUrl.replace(/\/\/[^@/]*@/, '//')}; machine load (1, 5, 15 min) at the start: ${load()}`);
  await ensureDatabase(databaseUrl, 'bench:organize', log);
  const { db, close } = await openDatabase({ databaseUrl, max: 10 });
  const raw = postgres(databaseUrl, { max: 4, onnotice: () => {}, connection: { jit: 'off' } });
  try {
    const { now, seeded, seconds } = await ensureSeeded(db, log);
    for (const ix of PROPOSED_INDEXES) {
      if (INDEX) {
        const t = performance.now();
        await raw.unsafe(ix.def);
        log(`INDEX=1: ${ix.name} ready (${((performance.now() - t) / 1000).toFixed(1)} s)`);
      } else {
        await raw.unsafe(`DROP INDEX IF EXISTS ${ix.name}`);
      }
    }
    if (INDEX) {
      await raw.unsafe(`ANALYZE posts, matches`);
    }
    const [district] = await raw.unsafe<{ id: string; boundary: string; km2: number; members: number }[]>(`
      SELECT id, boundary::text AS boundary, area_sqm / 1e6 AS km2,
             (SELECT count(*)::int FROM memberships m WHERE m.community_id = c.id AND m.suspended_at IS NULL) AS members
      FROM communities c WHERE slug = ${lit(DISTRICT.slug)}`);
    const [sizes] = await raw.unsafe<Record<string, number | string>[]>(`
      SELECT (SELECT count(*)::int FROM posts WHERE status = 'open') AS open,
             (SELECT count(*)::int FROM posts WHERE status = 'open' AND kind = 'need') AS open_needs,
             (SELECT count(*)::int FROM post_windows) AS windows,
             (SELECT count(*)::int FROM matches) AS matches,
             (SELECT count(*)::int FROM matches WHERE status = 'proposed') AS proposed,
             (SELECT count(*)::int FROM posts p WHERE status = 'open' AND ST_Covers(${lit(district!.boundary)}::geography, p.location)) AS district_open,
             (SELECT count(*)::int FROM posts p WHERE status = 'open' AND ST_Covers(${lit(district!.boundary)}::geography, p.location)
                AND EXISTS (SELECT 1 FROM memberships m WHERE m.community_id = ${lit(district!.id)} AND m.user_id = p.author_id AND m.suspended_at IS NULL)) AS district_members_open,
             pg_size_pretty(pg_database_size(current_database())) AS db`);
    log(
      `data: ${fmt(Number(sizes!.open))} open posts (${fmt(Number(sizes!.open_needs))} needs), ${fmt(Number(sizes!.windows))} post_windows, ` +
        `${fmt(Number(sizes!.matches))} matches (${fmt(Number(sizes!.proposed))} proposed); database ${sizes!.db}; time-base ${now.toISOString()}; ` +
        `${seeded ? `seeded now (${seconds?.toFixed(0)} s)` : `reused (seeded in ${seconds?.toFixed(0) ?? '?'} s)`}`,
    );
    log(
      `district "${DISTRICT.name}": ${Number(district!.km2).toFixed(1)} km², ${fmt(district!.members)} active members, ` +
        `${fmt(Number(sizes!.district_open))} open posts inside, ${fmt(Number(sizes!.district_members_open))} of them by members; ` +
        `indexes: ${INDEX ? 'as migrated + the proposed ones (INDEX=1)' : 'as migrated'}; ${RUNS} timed runs per figure after a warm-up`,
    );
    const organizer = { id: (await raw.unsafe<{ id: string }[]>(`SELECT ${ORGANIZER_ID_SQL}::text AS id`))[0]!.id, displayName: 'Olga O.' };
    const summary: string[] = [];
    const listParams = (kind: 'need' | 'offer', from: Date, to: Date, limit: number, categories: string[] | null) => [district!.boundary, kind, from.toISOString(), to.toISOString(), now.toISOString(), limit, categories, district!.id];

    // -----------------------------------------------------------------------
    if (PHASES.has('triage')) {
      log(`\n(a) triage: the district's needs of the next 14 days, soonest 200, each with its helpers (members' offers of those days that fit)`);
      const cpuTriage = process.cpuUsage();
      const { stats: st, result: items } = await timed(() => triage(db, organizer, district!.id, now));
      const triageCpu = process.cpuUsage(cpuTriage);
      log(`  triage()                           ${show(st)}  ${items.length} needs, ${items.filter((i) => i.noCandidates).length} with no helper, ${items.filter((i) => i.stillNeededAsked).length} asked, ${items.filter((i) => i.helperCancelledLate).length} late cancellations`);
      log(`  this process's CPU per triage (its share of the work: drivers' parsing, the join and rules in memory): ${ms((triageCpu.user + triageCpu.system) / 1000 / (RUNS + 1))}`);

      // The statements triage sends, captured once and replayed alone (listings, then the pairs' reads).
      const rec = recordingDb(databaseUrl);
      await triage(rec.db, organizer, district!.id, now);
      await rec.close();
      const sent = await replayAll(raw, rec.queries);
      log(`  statements (replayed alone, p50): ${sent.map((q) => `${q.label} ${ms(q.ms)} (${fmt(q.rows)} rows)`).join('; ')}`);
      const lists = rec.queries.filter((q) => q.sql.includes('min(lower(w.during))'));
      const needIds = (await raw.unsafe<{ id: string }[]>(lists[0]!.sql, lists[0]!.params as never[], { prepare: false })).map((r) => r.id);
      const offerIds = lists[1] ? (await raw.unsafe<{ id: string }[]>(lists[1].sql, lists[1].params as never[], { prepare: false })).map((r) => r.id) : [];
      const to = new Date(now.getTime() + 14 * DAY);
      const categories = [...new Set(items.map((i) => i.category))];
      const floorNeeds = await replay(raw, { sql: LIST_FLOOR_SQL(true), params: listParams('need', now, to, 200, null) });
      const floorOffers = await replay(raw, { sql: LIST_FLOOR_SQL(true), params: listParams('offer', now, to, 1_000_000, categories) });
      const floorWindows = await replay(raw, { sql: WINDOWS_FLOOR_SQL, params: [`{${[...needIds, ...offerIds].join(',')}}`, now.toISOString()] });
      const floor = floorNeeds.ms + floorOffers.ms + floorWindows.ms;
      log(
        `  floor: bare listings ${ms(floorNeeds.ms)} needs + ${ms(floorOffers.ms)} offers (${fmt(floorOffers.rows)}) + their windows read bare ${ms(floorWindows.ms)} (${fmt(floorWindows.rows)} rows) = ${ms(floor)}; ` +
          `triage / floor ${(st.p50 / floor).toFixed(2)}x`,
      );
      // What the counts were before (issue 16): every open offer in the city, at its public point, among the nearest 20.
      const rows = await postsRepo.findMany(db, needIds);
      const before = await eachLimited(needIds, 4, (id) => countCandidates(db, rows.get(id)!, now, 20, { ...AUTHOR_VIEW, notBlockedWith: organizer.id }));
      log(
        `  the counts as they were (every offer in the city at its public point, nearest 20): ${before.filter((c) => c.count === 0).length} needs with nobody, ` +
          `mean ${(before.reduce((a, c) => a + c.count, 0) / before.length).toFixed(1)}; now (members' offers of the 14 days, true places, all counted): ` +
          `${items.filter((i) => i.noCandidates).length} with nobody, mean ${(items.reduce((a, i) => a + i.candidates, 0) / items.length).toFixed(1)}`,
      );
      summary.push(`triage: p50 ${ms(st.p50)}, p95 ${ms(st.p95)}, max ${ms(st.max)}; floor ${ms(floor)}; ${(st.p50 / floor).toFixed(2)}x`);
    }

    // -----------------------------------------------------------------------
    if (PHASES.has('plan')) {
      log(`\n(b) plan: members' needs and offers of a range, their candidate pairs as one set, the exact solver`);
      // Ranges an organizer plans: tomorrow (local) for one category, and tomorrow's afternoon for all.
      const day0 = DateTime.fromJSDate(now).setZone(TZ).plus({ days: 1 }).startOf('day').toJSDate();
      const configs: { label: string; from: Date; to: Date; categories?: string[] }[] = [
        { label: 'tomorrow, meals', from: day0, to: new Date(day0.getTime() + DAY), categories: ['meal'] },
        { label: 'tomorrow 12:00–16:00, all', from: new Date(day0.getTime() + 12 * HOUR), to: new Date(day0.getTime() + 16 * HOUR) },
        { label: 'tomorrow, all (over the cap)', from: day0, to: new Date(day0.getTime() + DAY) },
      ];
      for (const c of configs) {
        const query = { from: c.from.toISOString(), to: c.to.toISOString(), ...(c.categories ? { categories: c.categories } : {}) };
        let outcome = '';
        const run = async () => {
          try {
            const r = await plan(db, organizer, district!.id, query, now);
            outcome = `${r.needs} needs × ${r.offers} offers, ${fmt(r.edges)} edges, served ${r.served}, exact ${r.exact}, gap ${r.gap}`;
            return r;
          } catch (error) {
            outcome = `refused: ${(error as Error).message}`;
            return null;
          }
        };
        const { stats: st, result } = await timed(run, PLAN_RUNS);
        log(`  ${pad(c.label, 30)} ${show(st)}  ${outcome}`);
        if (!result) {
          summary.push(`plan ${c.label}: p50 ${ms(st.p50)} to refuse (${outcome})`);
          continue;
        }
        // Breakdown: the statements plan sends, replayed alone; the pairs and the solver by hand.
        const rec = recordingDb(databaseUrl);
        await plan(rec.db, organizer, district!.id, query, now);
        await rec.close();
        const sent = await replayAll(raw, rec.queries, 3);
        log(`    statements (replayed alone, p50): ${sent.map((q) => `${q.label} ${ms(q.ms)} (${fmt(q.rows)} rows)`).join('; ')}`);
        const lists = rec.queries.filter((q) => q.sql.includes('min(lower(w.during))'));
        const needIds = (await raw.unsafe<{ id: string }[]>(lists[0]!.sql, lists[0]!.params as never[], { prepare: false })).map((r) => r.id);
        const offerIds = (await raw.unsafe<{ id: string }[]>(lists[1]!.sql, lists[1]!.params as never[], { prepare: false })).map((r) => r.id);
        const place = { need: () => 'exact' as const, offer: () => 'exact' as const };
        const tPairs = performance.now();
        const cpuPairs = process.cpuUsage();
        const pairs = await fittingPairs(db, { needIds, offerIds, now, place, keep: 60 });
        const pairsMs = performance.now() - tPairs;
        const pairsCpu = process.cpuUsage(cpuPairs);
        const statementsMs = sent.filter((q) => q.label !== 'needs listing' && q.label !== 'offers listing' && q.label !== 'role check').reduce((a, q) => a + q.ms, 0);
        let edges: AssignEdge[] = [];
        for (const [needId, list] of pairs.byNeed) {
          for (const p of list) {
            edges.push({ needId, offerId: p.offerId, distanceM: Math.round(p.fit.distanceM / 100) * 100, penaltyM: (pairs.accepts.get(pairs.rows.get(p.offerId)!.authorId) ?? 0) * FAIRNESS_M_PER_ACCEPT });
          }
        }
        edges = edges.sort((a, b) => a.needId.localeCompare(b.needId) || a.offerId.localeCompare(b.offerId));
        const input = {
          needs: needIds.map((id) => ({ id, units: Math.max(1, pairs.rows.get(id)!.capacity) })),
          offers: offerIds.map((id) => ({ id, capacity: Math.max(1, pairs.rows.get(id)!.capacityLeft) })),
          edges,
        };
        const tSolve = performance.now();
        const cpuSolve = process.cpuUsage();
        const solved = solveAssignmentWithStats(input, { timeLimitMs: PLAN_TIME_LIMIT_MS, gap: PLAN_GAP });
        const solveMs = performance.now() - tSolve;
        const solveCpu = process.cpuUsage(cpuSolve);
        const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
        const edgeCost = new Map(edges.map((e) => [`${e.needId}:${e.offerId}`, e.distanceM + (e.penaltyM ?? 0)]));
        const costOf = (chosen: { needId: string; offerId: string }[]) => chosen.reduce((a, p) => a + edgeCost.get(`${p.needId}:${p.offerId}`)!, 0);
        const listFloorNeeds = await replay(raw, { sql: LIST_FLOOR_SQL(true), params: listParams('need', c.from, c.to, 2001, c.categories ?? null) }, 3);
        const listFloorOffers = await replay(raw, { sql: LIST_FLOOR_SQL(true), params: listParams('offer', c.from, c.to, 2001, c.categories ?? null) }, 3);
        const windowsFloor = await replay(raw, { sql: WINDOWS_FLOOR_SQL, params: [`{${[...needIds, ...offerIds].join(',')}}`, now.toISOString()] }, 3);
        const floor = Math.max(listFloorNeeds.ms, listFloorOffers.ms) + windowsFloor.ms + solveMs;
        log(
          `    breakdown: the pairs as one set ${ms(pairsMs)} (this process's CPU ${ms(cpuMs(pairsCpu))}: reading the rows and the join and rules in memory; ${fmt(edges.length)} edges; its statements alone ${ms(statementsMs)}), ` +
            `solver ${ms(solveMs)} (CPU ${ms(cpuMs(solveCpu))}; exact ${solved.plan.exact}, served ${solved.plan.served} of at most ${solved.stats.servedBound}, ` +
            `cost with the fairness penalties ${fmt(Math.round(costOf(solved.plan.pairs)))} m against a proven bound of ${solved.stats.costBoundM === null ? '?' : fmt(Math.round(solved.stats.costBoundM))} m; ` +
            `${solved.stats.components} components, the largest ${solved.stats.largestComponent.needs} × ${solved.stats.largestComponent.offers}, ${fmt(solved.stats.searchNodes)} search nodes)`,
        );
        log(
          `    floor: bare listings ${ms(listFloorNeeds.ms)} / ${ms(listFloorOffers.ms)} (sent together) + the posts' windows read bare ${ms(windowsFloor.ms)} + the solver ${ms(solveMs)} = ${ms(floor)}; ` +
            `plan / floor ${(st.p50 / floor).toFixed(2)}x`,
        );
        if (c === configs[0] || process.env.CHECK_ALL === '1') {
          // The same pairs as findCandidates need by need (with `among`), as the plan found them before; and what that cost.
          const rows = await postsRepo.findMany(db, needIds);
          const tOld = performance.now();
          const old = await eachLimited(needIds, 4, async (id) => (await findCandidates(db, rows.get(id)!, now, 60, ENTITLED_VIEW, { reasons: false, among: offerIds })).map((x) => x.row.id));
          const oldMs = performance.now() - tOld;
          const differing = needIds.filter((id, i) => JSON.stringify(old[i]) !== JSON.stringify(pairs.byNeed.get(id)!.map((p) => p.offerId)));
          log(
            `    the per-need search (findCandidates × ${needIds.length}, 4 at a time, as plans ran before): ${ms(oldMs)}, ${fmt(old.reduce((a, l) => a + l.length, 0))} pairs; ` +
              `the same pairs in the same order for ${needIds.length - differing.length} of ${needIds.length} needs${differing.length ? ` (differ: ${differing.slice(0, 5).join(', ')})` : ''}`,
          );
        }
        summary.push(`plan ${c.label} (${outcome}): p50 ${ms(st.p50)}, p95 ${ms(st.p95)}, max ${ms(st.max)}; floor ${ms(floor)}; ${(st.p50 / floor).toFixed(2)}x`);
        if (c === configs[0]) {
          const rowsRead = rec.queries.find((q) => q.sql.includes('json_agg'));
          if (rowsRead) {
            log(`\n    the pairs' rows and windows, EXPLAIN (ANALYZE, BUFFERS):\n${await explain(raw, rowsRead.sql, rowsRead.params)}`);
          }
        }
      }
    }

    // -----------------------------------------------------------------------
    if (PHASES.has('sweep')) {
      log(`\n(c) the hygiene sweep, once a minute on every server, at the time-base (each run rolled back)`);
      let last: { asked: number; withdrawn: number } | null = null;
      const { stats: st } = await timed(async () => {
        last = await rolledBack(db, (tx) => sweep(tx, now));
      });
      const r = last as { asked: number; withdrawn: number } | null;
      log(`  sweep()                            ${show(st)}  asked ${r?.asked}, withdrew ${r?.withdrawn} (the last minute's)`);

      const rec = recordingDb(databaseUrl);
      await rolledBack(rec.db, (tx) => sweep(tx, now));
      await rec.close();
      const update = rec.queries.find((q) => q.sql.includes('still_needed_asked_at'))!;
      const stale = rec.queries.find((q) => q.sql.includes(`status = 'proposed'`))!;
      const tStale = await replay(raw, stale, 5);
      const sweepFloorParams = [now.toISOString(), new Date(now.getTime() + 24 * HOUR).toISOString()];
      const floorRun = await replay(raw, { sql: SWEEP_FLOOR_SQL, params: sweepFloorParams }, 5);
      const xs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await raw
          .begin(async (tx) => {
            await tx.unsafe(update.sql, update.params as never[], { prepare: false });
            throw new Rollback();
          })
          .catch((error: unknown) => {
            if (!(error instanceof Rollback)) {
              throw error;
            }
          });
        xs.push(performance.now() - t);
      }
      const tUpdate = stats(xs);
      log(`  breakdown (p50): still-needed UPDATE ${ms(tUpdate.p50)}; stale-proposals SELECT ${ms(tStale.ms)} (${tStale.rows} rows); the rest (events, withdrawals, suggestions) ~${ms(Math.max(0, st.p50 - tUpdate.p50 - tStale.ms))}`);
      const sweepProposed: number[] = [];
      let proposedRows = 0;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await raw
          .begin(async (tx) => {
            proposedRows = (await tx.unsafe(SWEEP_PROPOSED_SQL, sweepFloorParams as never[], { prepare: false })).length;
            throw new Rollback();
          })
          .catch((error: unknown) => {
            if (!(error instanceof Rollback)) {
              throw error;
            }
          });
        sweepProposed.push(performance.now() - t);
      }
      const tProposed = stats(sweepProposed);
      log(`  proposed still-needed UPDATE (README; ids first through post_windows.during): p50 ${ms(tProposed.p50)}, max ${ms(tProposed.max)} (${proposedRows} rows), against ${ms(tUpdate.p50)} as sent`);
      log(`  floor: the same due needs through the GiST on post_windows.during ${ms(floorRun.ms)} (${floorRun.rows} rows, the sweep asked ${r?.asked}); sweep / floor ${(st.p50 / floorRun.ms).toFixed(1)}x`);
      log(`\n  the still-needed UPDATE as sent:\n    ${update.sql.replace(/\s+/g, ' ')}\n  EXPLAIN (ANALYZE, BUFFERS), rolled back:\n${await explain(raw, update.sql, update.params)}`);
      log(`\n  the stale proposals SELECT as sent:\n    ${stale.sql.replace(/\s+/g, ' ')}\n  EXPLAIN (ANALYZE, BUFFERS):\n${await explain(raw, stale.sql, stale.params)}`);
      log(`\n  floor, EXPLAIN (ANALYZE, BUFFERS):\n${await explain(raw, SWEEP_FLOOR_SQL, sweepFloorParams)}`);
      log(`\n  proposed still-needed UPDATE, EXPLAIN (ANALYZE, BUFFERS), rolled back:\n${await explain(raw, SWEEP_PROPOSED_SQL, sweepFloorParams)}`);

      // The first sweep after a deploy or an outage: nothing asked yet (rolled back, once).
      const t = performance.now();
      const first = await rolledBack(db, async (tx) => {
        await tx.execute(sql`UPDATE posts SET still_needed_asked_at = NULL WHERE still_needed_asked_at IS NOT NULL`);
        const t1 = performance.now();
        const res = await sweep(tx, now);
        return { res, ms: performance.now() - t1 };
      });
      log(`  catching up (nothing asked yet, once, rolled back): ${ms(first.ms)}, asked ${fmt(first.res?.asked ?? 0)} (the whole with its reset ${ms(performance.now() - t)})`);
      summary.push(`sweep: p50 ${ms(st.p50)}, p95 ${ms(st.p95)}, max ${ms(st.max)} every minute on every server; floor ${ms(floorRun.ms)}; ${(st.p50 / floorRun.ms).toFixed(1)}x; first sweep ${ms(first.ms)}; the still-needed UPDATE ${ms(tUpdate.p50)}, proposed form ${ms(tProposed.p50)}`);
    }

    log(`\nsummary (${INDEX ? 'INDEX=1' : 'indexes as migrated'}; ${fmt(Number(sizes!.open))} open posts in the city, ${fmt(Number(sizes!.district_members_open))} members' open posts in the district; machine load (1, 5, 15 min) at the end: ${load()}):`);
    for (const s of summary) {
      log(`  ${s}`);
    }
  } finally {
    await raw.end({ timeout: 5 });
    await close();
  }
}

await main();
