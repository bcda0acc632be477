// Who blocked whom, as SQL conditions and lookups: a block either way hides
// each from the other everywhere (listings, candidates, organizer tools).
import { and, eq, or, type SQL, sql } from 'drizzle-orm';
import { blocks, type Executor } from '../../db';

/** SQL: true unless `a` and the user in column/expression `b` blocked one another (either way). */
export function notBlocked(a: string | SQL, b: SQL): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM ${blocks} bl WHERE (bl.blocker_id = ${a} AND bl.blocked_id = ${b}) OR (bl.blocker_id = ${b} AND bl.blocked_id = ${a}))`;
}

export async function isBlocked(db: Executor, a: string, b: string): Promise<boolean> {
  const [row] = await db
    .select({ one: sql`1` })
    .from(blocks)
    .where(or(and(eq(blocks.blockerId, a), eq(blocks.blockedId, b)), and(eq(blocks.blockerId, b), eq(blocks.blockedId, a))))
    .limit(1);
  return row !== undefined;
}

/** NOTIFY channel carrying "a:b" when a block between a and b is made or lifted: sockets reload who they must not hear from. */
export const BLOCKS_CHANNEL = 'aidmap_blocks';

export async function announceBlockChange(db: Executor, a: string, b: string): Promise<void> {
  await db.execute(sql`SELECT pg_notify(${BLOCKS_CHANNEL}, ${`${a}:${b}`})`);
}

/** Everyone this user blocked or was blocked by. */
export async function blockedIdsOf(db: Executor, userId: string): Promise<Set<string>> {
  const rows = await db
    .select({ blockerId: blocks.blockerId, blockedId: blocks.blockedId })
    .from(blocks)
    .where(or(eq(blocks.blockerId, userId), eq(blocks.blockedId, userId)));
  return new Set(rows.map((r) => (r.blockerId === userId ? r.blockedId : r.blockerId)));
}
