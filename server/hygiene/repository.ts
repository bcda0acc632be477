// The hygiene sweep's queries: its lock, the needs to ask "still needed?",
// and the proposals nobody answered. What happens to them (events, notices,
// fresh suggestions) is sweep.ts's business.
import { and, sql } from 'drizzle-orm';
import { type Executor, matches, rowsOf } from '../../db';

/** A need just marked asked "still needed?". */
export interface AskedNeed {
  id: string;
  authorId: string;
  title: string;
}

/** A proposal nobody answered in time. */
export interface StaleProposal {
  id: string;
  needId: string;
}

export const hygieneRepo = {
  /** Takes the transaction-scoped advisory lock `key` if no one holds it; false when another process does. */
  async tryLock(tx: Executor, key: number): Promise<boolean> {
    const [{ got }] = rowsOf<{ got: boolean }>(await tx.execute(sql`SELECT pg_try_advisory_xact_lock(${key}) AS got`)) as [{ got: boolean }];
    return got;
  },

  /**
   * Marks asked, at `now`, the open needs not asked yet that have a window
   * meeting [now, dueBefore), and returns them. "Its first window still to
   * come starts within the lead time" is "one of its windows meets [now,
   * now + lead)": asked that way, the windows' range index finds the few due
   * instead of each open need's windows being read.
   */
  async markStillNeededAsked(tx: Executor, now: Date, dueBefore: Date): Promise<AskedNeed[]> {
    const nowTs = now.toISOString();
    const rows = rowsOf<{ id: string; author_id: string; title: string }>(
      await tx.execute(sql`
        WITH due AS MATERIALIZED (
          SELECT q.id FROM posts q
          WHERE q.kind = 'need' AND q.status = 'open' AND q.still_needed_asked_at IS NULL
            AND EXISTS (SELECT 1 FROM post_windows w WHERE w.post_id = q.id
              AND w.during && tstzrange(${nowTs}::timestamptz, ${dueBefore.toISOString()}::timestamptz, '[)')))
        UPDATE posts p SET still_needed_asked_at = ${nowTs}::timestamptz
        FROM due WHERE p.id = due.id AND p.kind = 'need' AND p.status = 'open' AND p.still_needed_asked_at IS NULL
        RETURNING p.id, p.author_id, p.title`),
    );
    return rows.map((r) => ({ id: r.id, authorId: r.author_id, title: r.title }));
  },

  /** Proposals last changed before `before`, oldest first, at most 500 a sweep (matches_proposed_updated_idx). */
  async staleProposals(db: Executor, before: Date): Promise<StaleProposal[]> {
    // The status as a literal, not a parameter: a generic plan must see it to use the partial index.
    return db
      .select({ id: matches.id, needId: matches.needId })
      .from(matches)
      .where(and(sql`${matches.status} = 'proposed'`, sql`${matches.updatedAt} < ${before.toISOString()}::timestamptz`))
      .orderBy(matches.updatedAt)
      .limit(500);
  },
};
