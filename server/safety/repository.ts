// Blocks as queries: making, lifting and listing them, and the live matches
// a new block must cancel. The conditions every other feature hides blocked
// people with live in server/access (notBlocked, blockedIdsOf).
import { and, eq, sql } from 'drizzle-orm';
import { blocks, type Executor, matches, posts, users } from '../../db';

/** Someone the user blocked, and since when. */
export interface BlockedRow {
  id: string;
  displayName: string;
  createdAt: Date;
}

export const blocksRepo = {
  /** Records the block; false when it was made already. */
  async insert(db: Executor, blockerId: string, blockedId: string, now: Date): Promise<boolean> {
    const [row] = await db.insert(blocks).values({ blockerId, blockedId, createdAt: now }).onConflictDoNothing().returning({ blockedId: blocks.blockedId });
    return row !== undefined;
  },

  async delete(db: Executor, blockerId: string, blockedId: string): Promise<void> {
    await db.delete(blocks).where(and(eq(blocks.blockerId, blockerId), eq(blocks.blockedId, blockedId)));
  },

  /** Ids of the live matches (suggested, proposed, accepted) between the two, whichever wrote the need. */
  async liveMatchesBetween(db: Executor, a: string, b: string): Promise<string[]> {
    const rows = await db
      .select({ id: matches.id })
      .from(matches)
      .innerJoin(sql`${posts} n`, sql`n.id = ${matches.needId}`)
      .innerJoin(sql`${posts} o`, sql`o.id = ${matches.offerId}`)
      .where(
        and(
          sql`${matches.status} IN ('suggested', 'proposed', 'accepted')`,
          sql`((n.author_id = ${a} AND o.author_id = ${b}) OR (n.author_id = ${b} AND o.author_id = ${a}))`,
        ),
      );
    return rows.map((r) => r.id);
  },

  /** The people the user blocked, longest ago first. */
  async listBy(db: Executor, blockerId: string): Promise<BlockedRow[]> {
    return db
      .select({ id: users.id, displayName: users.displayName, createdAt: blocks.createdAt })
      .from(blocks)
      .innerJoin(users, eq(users.id, blocks.blockedId))
      .where(eq(blocks.blockerId, blockerId))
      .orderBy(blocks.createdAt);
  },
};
