// bench:live's write phase (issue 17): how many posts a second one server
// process takes through `POST /api/posts` while it fans them out to the open
// sockets, closed loop at a fixed concurrency, against the floor: the same
// rows (the post, its windows, its live event with the ordering lock and
// NOTIFY, its follow-up job) inserted by a bare postgres.js client at the
// same concurrency, one statement a post, into copies of the same tables
// (same indexes, constraints and foreign keys) in the same database.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { latency, type Latency, nowNs } from './shared';

/** Where the floor's rows go: copies of the app's tables, made afresh each run. */
const SCHEMA = 'bench_floor';
/** The events append lock the outbox takes (server/live/outbox.ts): the floor orders its events the same way. */
const APPEND_LOCK = 0x61_69_64_6d;

export interface Rate {
  posts: number;
  seconds: number;
  perSecond: number;
  latencyMs: Latency;
  failed: Record<string, number>;
}

/** The floor's tables: LIKE … INCLUDING ALL (columns, defaults, indexes, checks), plus the foreign keys LIKE leaves out. */
export async function prepareFloor(sql: postgres.Sql): Promise<void> {
  await sql.unsafe(`
    DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE;
    CREATE SCHEMA ${SCHEMA};
    CREATE TABLE ${SCHEMA}.posts (LIKE public.posts INCLUDING ALL);
    CREATE TABLE ${SCHEMA}.post_windows (LIKE public.post_windows INCLUDING ALL);
    CREATE TABLE ${SCHEMA}.events (LIKE public.events INCLUDING ALL);
    CREATE TABLE ${SCHEMA}.jobs (LIKE public.jobs INCLUDING ALL);
    ALTER TABLE ${SCHEMA}.posts ADD FOREIGN KEY (author_id) REFERENCES public.users(id) ON DELETE CASCADE,
                                ADD FOREIGN KEY (hidden_by) REFERENCES public.users(id);
    ALTER TABLE ${SCHEMA}.post_windows ADD FOREIGN KEY (post_id) REFERENCES ${SCHEMA}.posts(id) ON DELETE CASCADE;`);
}

export async function dropFloor(sql: postgres.Sql): Promise<void> {
  await sql.unsafe(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
}

/** Runs `fire` from `concurrency` workers, back to back, for `seconds`; each answer's time and status. */
export async function closedLoop(
  concurrency: number,
  seconds: number,
  fire: () => Promise<{ status: number; id?: string | undefined }>,
): Promise<Rate & { ids: string[] }> {
  const ids: string[] = [];
  const times: number[] = [];
  const failed: Record<string, number> = {};
  const start = nowNs();
  const until = start + seconds * 1e9;
  let last = start;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (nowNs() < until) {
        const t = nowNs();
        let status: string;
        try {
          const r = await fire();
          status = String(r.status);
          if (r.id) {
            ids.push(r.id);
          }
        } catch (error) {
          status = (error as Error).message;
        }
        last = nowNs();
        if (status === '201') {
          times.push((last - t) / 1e6);
        } else {
          failed[status] = (failed[status] ?? 0) + 1;
        }
      }
    }),
  );
  const s = (last - start) / 1e9;
  return { ids, posts: times.length, seconds: s, perSecond: times.length / s, latencyMs: latency(Float64Array.from(times).sort()), failed };
}

/** Waits until no job is waiting (the follow-ups of the posts just made) or `maxS` passed; how many there were and how long it took. */
export async function drainJobs(sql: postgres.Sql, maxS = 300): Promise<{ waiting: number; seconds: number; left: number }> {
  const count = async () => Number((await sql<{ n: string }[]>`SELECT count(*)::text AS n FROM jobs WHERE failed_at IS NULL`)[0]!.n);
  const waiting = await count();
  const start = nowNs();
  let left = waiting;
  while (left > 0 && nowNs() - start < maxS * 1e9) {
    await new Promise((r) => setTimeout(r, 100));
    left = await count();
  }
  return { waiting, seconds: (nowNs() - start) / 1e9, left };
}

/** One post's rows as the app wrote them (the post, its windows, its post.created event), as JSON for jsonb_populate_record. */
interface Rows {
  post: Record<string, unknown>;
  windows: Record<string, unknown>[];
  event: Record<string, unknown>;
}

async function rowsOf(sql: postgres.Sql, ids: string[]): Promise<Rows[]> {
  return sql<Rows[]>`
    SELECT to_jsonb(p) AS post,
           coalesce((SELECT jsonb_agg(to_jsonb(w)) FROM post_windows w WHERE w.post_id = p.id), '[]') AS windows,
           to_jsonb(e) - 'seq' AS event
    FROM posts p
    JOIN events e ON e.type = 'post.created' AND (e.data -> 'post' ->> 'id')::uuid = p.id
    WHERE p.id = ANY(${ids}::uuid[])`;
}

/** One statement a post, as tight as a bare client can write these rows: no HTTP, no session, no validation, no views. */
const FLOOR_SQL = `
  WITH p AS (
    INSERT INTO ${SCHEMA}.posts SELECT * FROM jsonb_populate_record(NULL::${SCHEMA}.posts, $1::jsonb)),
  w AS (
    INSERT INTO ${SCHEMA}.post_windows SELECT * FROM jsonb_populate_recordset(NULL::${SCHEMA}.post_windows, $2::jsonb)),
  j AS (
    INSERT INTO ${SCHEMA}.jobs (kind, payload, run_at, created_at) VALUES ('post.saved', $3::jsonb, now(), now()))
  INSERT INTO ${SCHEMA}.events (type, lat, lng, prev_lat, prev_lng, kind, category, author_id, audience, data, author_data, organizers, created_at)
  SELECT x.type, x.lat, x.lng, x.prev_lat, x.prev_lng, x.kind, x.category, x.author_id, x.audience, x.data, x.author_data, x.organizers, x.created_at
  FROM (SELECT pg_advisory_xact_lock(${APPEND_LOCK}), pg_notify('aidmap_bench_floor', '')) AS l,
       jsonb_populate_record(NULL::${SCHEMA}.events, $4::jsonb) AS x`;

/**
 * The floor: the rows of the posts `ids` (as the app wrote them), each
 * written again under a new id by a bare postgres.js client, `concurrency`
 * connections back to back.
 */
export async function floorInsert(databaseUrl: string, sql: postgres.Sql, ids: string[], concurrency: number): Promise<Rate> {
  const rows = await rowsOf(sql, ids);
  const payloads = rows.map((r) => {
    const id = randomUUID();
    // Objects, not JSON text: the prepared statement's parameters are jsonb, which postgres.js serializes itself.
    return [{ ...r.post, id }, r.windows.map((w) => ({ ...w, post_id: id })), { postId: id }, r.event] as postgres.JSONValue[];
  });
  const client = postgres(databaseUrl, { max: concurrency, onnotice: () => {}, connection: { jit: 'off' } });
  try {
    // Connections opened and the statement prepared before the clock starts, as the server's pool is.
    await Promise.all(Array.from({ length: concurrency }, () => client`SELECT 1`));
    let next = 0;
    const times: number[] = [];
    const failed: Record<string, number> = {};
    const start = nowNs();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let k = next++; k < payloads.length; k = next++) {
          const t = nowNs();
          try {
            await client.unsafe(FLOOR_SQL, payloads[k] as postgres.ParameterOrJSON<never>[], { prepare: true });
            times.push((nowNs() - t) / 1e6);
          } catch (error) {
            const message = (error as Error).message;
            failed[message] = (failed[message] ?? 0) + 1;
          }
        }
      }),
    );
    const seconds = (nowNs() - start) / 1e9;
    return { posts: times.length, seconds, perSecond: times.length / seconds, latencyMs: latency(Float64Array.from(times).sort()), failed };
  } finally {
    await client.end({ timeout: 5 });
  }
}
