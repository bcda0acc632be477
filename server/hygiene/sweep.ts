// What today's tools leave to organizers' memory, done on a timer: a need
// nobody has offered for 24 hours before it is due asks its author "still
// needed?"; a proposal nobody answers in time is withdrawn and the need gets
// fresh suggestions. One process sweeps at a time (an advisory lock).
import { sql } from 'drizzle-orm';
import { type DB, rowsOf } from '../../db';
import { Outbox } from '../live/outbox';
import { matchView, suggestFor } from '../matches/service';
import { matchesRepo } from '../matches/repository';
import { postsRepo } from '../posts/repository';

export interface HygieneOptions {
  /** A need is asked "still needed?" this long before its first window (default 24 h). */
  stillNeededLeadMs: number;
  /** A proposal unanswered this long is withdrawn (default 12 h; PROPOSAL_TTL_HOURS). */
  proposalTtlMs: number;
}

export const DEFAULT_HYGIENE: HygieneOptions = { stillNeededLeadMs: 24 * 3_600_000, proposalTtlMs: 12 * 3_600_000 };

const SWEEP_LOCK = 0x68_79_67_6e; // "hygn"

export async function sweep(db: DB, now: Date, options: HygieneOptions = DEFAULT_HYGIENE): Promise<{ asked: number; withdrawn: number } | null> {
  const nowTs = now.toISOString();
  // Still needed? Open needs (so no helper accepted), not asked yet, due within the lead time.
  const asked = await db.transaction(async (tx) => {
    const [{ got }] = rowsOf<{ got: boolean }>(await tx.execute(sql`SELECT pg_try_advisory_xact_lock(${SWEEP_LOCK}) AS got`)) as [{ got: boolean }];
    if (!got) {
      return null;
    }
    // "Its first window still to come starts within the lead time" is "one of its windows meets [now, now + lead)":
    // asked that way, the windows' range index finds the few due instead of each open need's windows being read.
    const due = rowsOf<{ id: string; author_id: string; title: string }>(
      await tx.execute(sql`
        WITH due AS MATERIALIZED (
          SELECT q.id FROM posts q
          WHERE q.kind = 'need' AND q.status = 'open' AND q.still_needed_asked_at IS NULL
            AND EXISTS (SELECT 1 FROM post_windows w WHERE w.post_id = q.id
              AND w.during && tstzrange(${nowTs}::timestamptz, ${new Date(now.getTime() + options.stillNeededLeadMs).toISOString()}::timestamptz, '[)')))
        UPDATE posts p SET still_needed_asked_at = ${nowTs}::timestamptz
        FROM due WHERE p.id = due.id AND p.kind = 'need' AND p.status = 'open' AND p.still_needed_asked_at IS NULL
        RETURNING p.id, p.author_id, p.title`),
    );
    const events = new Outbox(now);
    for (const p of due) {
      events.notice([p.author_id], { kind: 'still_needed', postId: p.id, title: p.title });
    }
    await events.flush(tx);
    return due.length;
  });
  if (asked === null) {
    return null; // another process is sweeping
  }

  // Proposals nobody answered: withdrawn, both sides told, the need suggested others.
  const stale = rowsOf<{ id: string; need_id: string }>(
    await db.execute(sql`SELECT id, need_id FROM matches WHERE status = 'proposed'
      AND updated_at < ${new Date(now.getTime() - options.proposalTtlMs).toISOString()}::timestamptz ORDER BY updated_at LIMIT 500`),
  );
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
      const after = { ...match, status: 'cancelled' as const, updatedAt: now };
      const events = new Outbox(now);
      events.match('match.cancelled', need, offer, (viewer) => matchView(after, need, offer, viewer, now));
      events.notice([need.authorId, offer.authorId], { kind: 'proposal_expired', postId: need.id, matchId: match.id, title: need.title });
      await events.flush(tx);
      return true;
    });
    if (done) {
      withdrawn++;
      const need = await postsRepo.find(db, s.need_id);
      if (need) {
        await suggestFor(db, need, now);
      }
    }
  }
  return { asked, withdrawn };
}
