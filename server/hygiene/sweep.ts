// What today's tools leave to organizers' memory, done on a timer: a need
// nobody has offered for 24 hours before it is due asks its author "still
// needed?"; a proposal nobody answers in time is withdrawn and the need gets
// fresh suggestions. One process sweeps at a time (an advisory lock).
import type { DB } from '../../db';
import { Outbox } from '../live/outbox';
import { matchView, suggestFor } from '../matches/service';
import { matchesRepo } from '../matches/repository';
import { postsRepo } from '../posts/repository';
import { hygieneRepo } from './repository';

export interface HygieneOptions {
  /** A need is asked "still needed?" this long before its first window (default 24 h). */
  stillNeededLeadMs: number;
  /** A proposal unanswered this long is withdrawn (default 12 h; PROPOSAL_TTL_HOURS). */
  proposalTtlMs: number;
}

export const DEFAULT_HYGIENE: HygieneOptions = { stillNeededLeadMs: 24 * 3_600_000, proposalTtlMs: 12 * 3_600_000 };

const SWEEP_LOCK = 0x68_79_67_6e; // "hygn"

export async function sweep(db: DB, now: Date, options: HygieneOptions = DEFAULT_HYGIENE): Promise<{ asked: number; withdrawn: number } | null> {
  // Still needed? Open needs (so no helper accepted), not asked yet, due within the lead time.
  const asked = await db.transaction(async (tx) => {
    if (!(await hygieneRepo.tryLock(tx, SWEEP_LOCK))) {
      return null;
    }
    const due = await hygieneRepo.markStillNeededAsked(tx, now, new Date(now.getTime() + options.stillNeededLeadMs));
    const events = new Outbox(now);
    for (const p of due) {
      events.notice([p.authorId], { kind: 'still_needed', postId: p.id, title: p.title });
    }
    await events.flush(tx);
    return due.length;
  });
  if (asked === null) {
    return null; // another process is sweeping
  }

  // Proposals nobody answered: withdrawn, both sides told, the need suggested others.
  const stale = await hygieneRepo.staleProposals(db, new Date(now.getTime() - options.proposalTtlMs));
  let withdrawn = 0;
  for (const s of stale) {
    const done = await db.transaction(async (tx) => {
      const match = await matchesRepo.find(tx, s.id, { forUpdate: true });
      if (!match || match.status !== 'proposed') {
        return false; // answered meanwhile
      }
      const posts = await postsRepo.findMany(tx, [match.needId, match.offerId]);
      const [need, offer] = [posts.get(match.needId)!, posts.get(match.offerId)!];
      await matchesRepo.update(tx, match.id, { status: 'cancelled', updatedAt: now });
      const after = { ...match, status: 'cancelled' as const, updatedAt: now, actedBy: null };
      const events = new Outbox(now);
      // Told by the proposal_expired notice below, not twice.
      events.match('match.cancelled', { matchId: match.id, actorId: null, notify: false }, need, offer, (viewer) => matchView(after, need, offer, viewer, now));
      events.notice([need.authorId, offer.authorId], { kind: 'proposal_expired', postId: need.id, matchId: match.id, title: need.title });
      await events.flush(tx);
      return true;
    });
    if (done) {
      withdrawn++;
      const need = await postsRepo.find(db, s.needId);
      if (need) {
        await suggestFor(db, need, now);
      }
    }
  }
  return { asked, withdrawn };
}
