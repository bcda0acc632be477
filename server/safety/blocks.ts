// Blocking: one person blocks another; from then on neither sees the other's
// posts (listings, a post's page, candidates, similar posts) and they cannot
// be matched. Live matches between them are cancelled when the block is made.
import { and, eq, sql } from 'drizzle-orm';
import { blocks, type DB, matches, posts, users } from '../../db';
import type { SessionUser } from '../auth/repository';
import { badRequest, notFound } from '../http/problem';
import { actOnMatch } from '../matches/service';
import { announceBlockChange } from '../access';

/** Blocks someone (201), or answers the block already made (200); cancels the live matches between them. */
export async function block(db: DB, user: SessionUser, blockedId: string, now: Date): Promise<boolean> {
  if (blockedId === user.id) {
    throw badRequest('You cannot block yourself.', [{ path: '/userId', message: 'is you' }]);
  }
  const [target] = await db.select({ id: users.id }).from(users).where(eq(users.id, blockedId));
  if (!target) {
    throw notFound('There is no person with this id.');
  }
  const [row] = await db.insert(blocks).values({ blockerId: user.id, blockedId, createdAt: now }).onConflictDoNothing().returning({ blockedId: blocks.blockedId });
  await announceBlockChange(db, user.id, blockedId);
  const live = await db
    .select({ id: matches.id })
    .from(matches)
    .innerJoin(sql`${posts} n`, sql`n.id = ${matches.needId}`)
    .innerJoin(sql`${posts} o`, sql`o.id = ${matches.offerId}`)
    .where(
      and(
        sql`${matches.status} IN ('suggested', 'proposed', 'accepted')`,
        sql`((n.author_id = ${user.id} AND o.author_id = ${blockedId}) OR (n.author_id = ${blockedId} AND o.author_id = ${user.id}))`,
      ),
    );
  for (const m of live) {
    await actOnMatch(db, user, m.id, 'cancel', now, { byBlock: true });
  }
  return row !== undefined;
}

export async function unblock(db: DB, user: SessionUser, blockedId: string): Promise<void> {
  await db.delete(blocks).where(and(eq(blocks.blockerId, user.id), eq(blocks.blockedId, blockedId)));
  await announceBlockChange(db, user.id, blockedId);
}

export async function myBlocks(db: DB, user: SessionUser) {
  const rows = await db
    .select({ id: users.id, displayName: users.displayName, createdAt: blocks.createdAt })
    .from(blocks)
    .innerJoin(users, eq(users.id, blocks.blockedId))
    .where(eq(blocks.blockerId, user.id))
    .orderBy(blocks.createdAt);
  return rows.map((r) => ({ user: { id: r.id, displayName: r.displayName }, createdAt: r.createdAt.toISOString() }));
}
