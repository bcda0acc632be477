// Reports (flags) as queries: filing one, and the ones a community's
// organizer may read. Who may file or read them is moderation.ts's business.
import { and, eq, sql } from 'drizzle-orm';
import { type Executor, flags, rowsOf } from '../../db';
import { memberPost, notBlocked } from '../access';

/** A report as an organizer reads it: never who filed it. */
export interface CommunityFlagRow {
  id: string;
  reason: string;
  createdAt: Date;
  post: { id: string; title: string; hidden: boolean } | null;
  user: { id: string; displayName: string } | null;
}

interface CommunityFlagRecord {
  id: string;
  reason: string;
  created_at: Date | string;
  post_id: string | null;
  post_title: string | null;
  post_hidden: boolean | null;
  user_id: string | null;
  user_name: string | null;
}

export const flagsRepo = {
  /** Files a report; undefined when this reporter already reported this target. */
  async insert(db: Executor, values: { reporterId: string; reason: string } & ({ postId: string } | { userId: string })): Promise<string | undefined> {
    const [row] = await db.insert(flags).values(values).onConflictDoNothing().returning({ id: flags.id });
    return row?.id;
  },

  /** The report this reporter filed about the post or person. */
  async find(db: Executor, reporterId: string, target: { postId: string } | { userId: string }): Promise<string | undefined> {
    const [row] = await db
      .select({ id: flags.id })
      .from(flags)
      .where(and(eq(flags.reporterId, reporterId), 'postId' in target ? eq(flags.postId, target.postId) : eq(flags.userId, target.userId)));
    return row?.id;
  },

  /**
   * Reports about the community's members and their posts there, newest
   * first, at most 500, that the organizer may act on (memberPost; an active
   * member, nobody blocked either way), never about the organizer or their
   * own posts. A report about a person reaches the communities the reporter
   * shares with them, or all of theirs when they share none.
   */
  async forOrganizer(db: Executor, organizerId: string, communityId: string): Promise<CommunityFlagRow[]> {
    const rows = rowsOf<CommunityFlagRecord>(
      await db.execute(sql`
      SELECT f.id, f.reason, f.created_at,
             p.id AS post_id, p.title AS post_title, p.hidden_at IS NOT NULL AS post_hidden,
             u.id AS user_id, u.display_name AS user_name
      FROM flags f
      LEFT JOIN posts p ON p.id = f.post_id
      LEFT JOIN users u ON u.id = f.user_id
      WHERE (f.post_id IS NOT NULL AND p.author_id <> ${organizerId} AND ${memberPost(communityId, organizerId)})
         OR (f.user_id IS NOT NULL AND f.user_id <> ${organizerId}
             AND EXISTS (SELECT 1 FROM memberships m WHERE m.community_id = ${communityId} AND m.user_id = f.user_id AND m.suspended_at IS NULL)
             AND ${notBlocked(organizerId, sql`f.user_id`)}
             -- A report about a person goes to the communities the two share; to all of the person's when they share none.
             AND (EXISTS (SELECT 1 FROM memberships mr WHERE mr.community_id = ${communityId} AND mr.user_id = f.reporter_id)
                  OR NOT EXISTS (SELECT 1 FROM memberships a JOIN memberships b ON b.community_id = a.community_id
                                 WHERE a.user_id = f.user_id AND b.user_id = f.reporter_id)))
      ORDER BY f.created_at DESC, f.id
      LIMIT 500`),
    );
    return rows.map((r) => ({
      id: r.id,
      reason: r.reason,
      createdAt: new Date(r.created_at),
      post: r.post_id ? { id: r.post_id, title: r.post_title!, hidden: r.post_hidden === true } : null,
      user: r.user_id ? { id: r.user_id, displayName: r.user_name! } : null,
    }));
  },
};
