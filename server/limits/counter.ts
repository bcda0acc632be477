// Fixed-window counters in PostgreSQL (the rate_counters table), so every
// process sharing the database shares the count: a limit cannot be dodged
// by landing on another instance, and no in-memory LRU can be flooded to
// evict a victim's counter.
import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../../db';
import { HttpProblem } from '../http/problem';

export interface Limit {
  /** What is limited, for the key and the message: "moving this post". */
  readonly name: string;
  readonly max: number;
  readonly windowMs: number;
}

export interface Hit {
  allowed: boolean;
  hits: number;
  /** Seconds until the window ends (for Retry-After). */
  retryAfterS: number;
}

function windowOf(limit: Limit, now: Date): { start: Date; end: Date } {
  const start = Math.floor(now.getTime() / limit.windowMs) * limit.windowMs;
  return { start: new Date(start), end: new Date(start + limit.windowMs) };
}

/**
 * Counts one hit of `key` under `limit` (one statement: an upsert that
 * returns the new count) and says whether it is within the limit. Run it
 * in the transaction of the write it limits, so a refused or failed write
 * is not counted twice and a counted one is never lost.
 */
export async function hit(db: Executor, limit: Limit, key: string, now: Date): Promise<Hit> {
  const { start, end } = windowOf(limit, now);
  const [row] = rowsOf<{ hits: number }>(
    await db.execute(sql`INSERT INTO rate_counters (key, window_start, hits, expires_at)
      VALUES (${`${limit.name}:${key}`}, ${start.toISOString()}::timestamptz, 1, ${end.toISOString()}::timestamptz)
      ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_counters.hits + 1
      RETURNING hits`),
  );
  const hits = Number(row!.hits);
  return { allowed: hits <= limit.max, hits, retryAfterS: Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000)) };
}

/**
 * Counts one hit of each (limit, key) in turn, in one statement, as hit()
 * one after another would: a hit is counted only while the ones before it
 * were within their limits. Returns the hits counted, in order (fewer than
 * given when one was over its limit: it is the last).
 */
export async function hitAll(db: Executor, items: { limit: Limit; key: string }[], now: Date): Promise<Hit[]> {
  if (items.length === 0) {
    return [];
  }
  const parts = items.map(({ limit, key }, i) => {
    const { start, end } = windowOf(limit, now);
    const before = items.slice(0, i).map((b, k) => sql`(SELECT hits FROM h${sql.raw(String(k))}) <= ${b.limit.max}`);
    return sql`h${sql.raw(String(i))} AS (
      INSERT INTO rate_counters (key, window_start, hits, expires_at)
      SELECT ${`${limit.name}:${key}`}, ${start.toISOString()}::timestamptz, 1, ${end.toISOString()}::timestamptz
      ${before.length > 0 ? sql`WHERE ${sql.join(before, sql` AND `)}` : sql``}
      ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_counters.hits + 1
      RETURNING hits)`;
  });
  const [row] = rowsOf<Record<string, number | string | null>>(
    await db.execute(sql`WITH ${sql.join(parts, sql`, `)} SELECT ${sql.join(items.map((_, i) => sql`(SELECT hits FROM h${sql.raw(String(i))}) AS h${sql.raw(String(i))}`), sql`, `)}`),
  );
  const hits: Hit[] = [];
  for (const [i, { limit }] of items.entries()) {
    const counted = row?.[`h${i}`];
    if (counted === null || counted === undefined) {
      break;
    }
    const n = Number(counted);
    const { end } = windowOf(limit, now);
    hits.push({ allowed: n <= limit.max, hits: n, retryAfterS: Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000)) });
  }
  return hits;
}

/** A 429 problem that names the limit and when to try again (the error handler sets Retry-After). */
export function tooManyRequests(detail: string, retryAfterS: number): HttpProblem {
  const problem = new HttpProblem(429, detail);
  problem.retryAfterS = retryAfterS;
  return problem;
}

/** hit(), throwing a 429 when over the limit. */
export async function enforce(db: Executor, limit: Limit, key: string, now: Date, detail: string): Promise<void> {
  const result = await hit(db, limit, key, now);
  if (!result.allowed) {
    throw tooManyRequests(`${detail} Try again in ${minutes(result.retryAfterS)}.`, result.retryAfterS);
  }
}

/** "45 seconds", "12 minutes", "3 hours": how long to wait, as a person says it. */
export function minutes(seconds: number): string {
  if (seconds < 90) {
    return `${seconds} seconds`;
  }
  const m = Math.ceil(seconds / 60);
  return m < 90 ? `${m} minutes` : `${Math.ceil(m / 60)} hours`;
}

/** Drops the counters of windows that have ended (any process may run it). */
export async function pruneCounters(db: Executor, now: Date): Promise<void> {
  await db.execute(sql`DELETE FROM rate_counters WHERE expires_at < ${now.toISOString()}::timestamptz`);
}
