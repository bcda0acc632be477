// Blocking: one person blocks another; from then on neither sees the other's
// posts (listings, a post's page, candidates, similar posts) and they cannot
// be matched. Live matches between them are cancelled when the block is made.
import type { DB } from '../../db';
import { type SessionUser, usersRepo } from '../auth/repository';
import { badRequest, notFound } from '../http/problem';
import { actOnMatch } from '../matches/service';
import { announceBlockChange } from '../access';
import { blocksRepo } from './repository';

/** Blocks someone (201), or answers the block already made (200); cancels the live matches between them. */
export async function block(db: DB, user: SessionUser, blockedId: string, now: Date): Promise<boolean> {
  if (blockedId === user.id) {
    throw badRequest('You cannot block yourself.', [{ path: '/userId', message: 'is you', code: 'self' }], 'block.self');
  }
  if (!(await usersRepo.exists(db, blockedId))) {
    throw notFound('There is no person with this id.', 'person.not_found');
  }
  const created = await blocksRepo.insert(db, user.id, blockedId, now);
  await announceBlockChange(db, user.id, blockedId);
  for (const matchId of await blocksRepo.liveMatchesBetween(db, user.id, blockedId)) {
    await actOnMatch(db, user, matchId, 'cancel', now, { byBlock: true });
  }
  return created;
}

export async function unblock(db: DB, user: SessionUser, blockedId: string): Promise<void> {
  await blocksRepo.delete(db, user.id, blockedId);
  await announceBlockChange(db, user.id, blockedId);
}

export async function myBlocks(db: DB, user: SessionUser) {
  const rows = await blocksRepo.listBy(db, user.id);
  return rows.map((r) => ({ user: { id: r.id, displayName: r.displayName }, createdAt: r.createdAt.toISOString() }));
}
