// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): a client that
// retries a POST after a timeout or a 503 sends the same key, and gets the
// resource its first attempt made instead of a second one. The key is
// recorded in the transaction that makes the resource, so "made" and
// "recorded" commit together or not at all: a retry either finds it or runs
// afresh, whatever happened to the first attempt's connection.
import { createHash } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import { type Executor, idempotencyKeys, sqlState } from '../../db';
import { HttpProblem, invalid } from './problem';

export type IdempotentScope = 'post' | 'match' | 'message';

export interface IdempotencyClaim {
  userId: string;
  key: string;
  scope: IdempotentScope;
  /** The request body's digest: the same key with another body is a client's mistake. */
  fingerprint: string;
}

/** Keys are kept this long; a retry comes within minutes. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** The claim a request makes with its Idempotency-Key header, or undefined without one; 400 for a malformed key. */
export function idempotencyClaim(
  request: { headers: Record<string, string | string[] | undefined>; body: unknown },
  userId: string,
  scope: IdempotentScope,
): IdempotencyClaim | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) {
    return undefined;
  }
  // A structured-field string ("…") or a bare token; 1–255 visible ASCII characters.
  const key = (Array.isArray(header) ? header[0]! : header).trim().replace(/^"(.*)"$/, '$1');
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw invalid([{ path: '/Idempotency-Key', message: 'must be 1–255 visible ASCII characters, such as a UUID', code: 'idempotency_key' }], 'request header');
  }
  const fingerprint = createHash('sha256').update(JSON.stringify(request.body ?? null)).digest('base64url');
  return { userId, key, scope, fingerprint };
}

/** The resource an earlier request with this key made, or null; 422 when the key was used for another request. */
export async function priorResource(db: Executor, claim: IdempotencyClaim): Promise<string | null> {
  const [row] = await db
    .select({ scope: idempotencyKeys.scope, fingerprint: idempotencyKeys.fingerprint, resourceId: idempotencyKeys.resourceId })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.userId, claim.userId), eq(idempotencyKeys.key, claim.key)));
  if (!row) {
    return null;
  }
  if (row.scope !== claim.scope || row.fingerprint !== claim.fingerprint) {
    throw new HttpProblem(422, 'This Idempotency-Key was already used for a different request. Use a new key for a new request.', [
      { path: '/Idempotency-Key', message: 'was used with another body or route', code: 'idempotency_key.reused' },
    ], 'idempotency_key.reused');
  }
  return row.resourceId;
}

/** Records the claim in the transaction that made `resourceId`. A concurrent twin makes this fail with a unique violation (isRaceLost). */
export async function recordClaim(tx: Executor, claim: IdempotencyClaim, resourceId: string, now: Date): Promise<void> {
  await tx.insert(idempotencyKeys).values({ ...claim, resourceId, createdAt: now });
}

/** The twin of a request with the same key committed first: this one rolled back; answer with the twin's resource. */
export function isRaceLost(error: unknown): boolean {
  if (sqlState(error) !== '23505') {
    return false;
  }
  // postgres.js names the constraint `constraint_name`, PGlite `constraint`.
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const { constraint_name: a, constraint: b } = e as { constraint_name?: unknown; constraint?: unknown };
    if (a === 'idempotency_keys_user_id_key_pk' || b === 'idempotency_keys_user_id_key_pk') {
      return true;
    }
  }
  return false;
}

/** Runs `make` once per key: the first time, and on a retry or a concurrent twin, the resource already made. */
export async function once(
  db: Executor,
  claim: IdempotencyClaim | undefined,
  make: () => Promise<string>,
): Promise<{ id: string; replayed: boolean }> {
  if (claim) {
    const prior = await priorResource(db, claim);
    if (prior) {
      return { id: prior, replayed: true };
    }
  }
  try {
    return { id: await make(), replayed: false };
  } catch (error) {
    if (claim && isRaceLost(error)) {
      const prior = await priorResource(db, claim);
      if (prior) {
        return { id: prior, replayed: true };
      }
    }
    throw error;
  }
}

export async function pruneIdempotencyKeys(db: Executor, now: Date): Promise<void> {
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, sql`${new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString()}::timestamptz`));
}
