// Platform moderation as queries: the moderation log, accounts' moderator
// role and suspension, and every report with its reporter. Who may do these
// (requireModerator) and what they set off (events, sign-outs) is service.ts's
// business.
import { desc, eq, isNotNull, lt, sql } from 'drizzle-orm';
import { type Executor, moderationLog, rowsOf, users } from '../../db';
import type { LoggedState } from '../../db/json';

export interface ModerationEntry {
  /** null: the command line. */
  actorId: string | null;
  action: string;
  subjectType: 'post' | 'user';
  subjectId: string;
  before: LoggedState | null;
  after: LoggedState | null;
  createdAt: Date;
}

/** A moderation log entry as read, with the actor's name (null when the command line acted, or the actor is gone). */
export interface ModerationLogRow {
  id: number;
  actorId: string | null;
  actorName: string | null;
  action: string;
  subjectType: string;
  subjectId: string;
  before: LoggedState | null;
  after: LoggedState | null;
  createdAt: Date;
}

/** An account as the command line grants and revokes the role on it. */
export interface AccountRow {
  id: string;
  email: string;
  displayName: string;
  moderatorSince: Date | null;
}

/** A report as moderators read it: with its reporter, and a post's author and exact place. */
export interface ModerationFlagRow {
  id: string;
  reason: string;
  createdAt: Date;
  reporter: { id: string; displayName: string };
  post: { id: string; title: string; hidden: boolean; authorId: string; authorName: string; lat: number; lng: number } | null;
  user: { id: string; displayName: string; suspended: boolean } | null;
}

interface ModerationFlagRecord {
  id: string;
  reason: string;
  created_at: Date | string;
  reporter_id: string;
  reporter_name: string;
  post_id: string | null;
  post_title: string | null;
  post_hidden: boolean | null;
  post_author_id: string | null;
  post_author_name: string | null;
  lat: number | null;
  lng: number | null;
  user_id: string | null;
  user_name: string | null;
  user_suspended: boolean | null;
}

export const moderationRepo = {
  async log(db: Executor, entry: ModerationEntry): Promise<void> {
    await db.insert(moderationLog).values(entry);
  },

  /** The log's entries older than `before` (an id), newest first, one more than `limit`. */
  async logPage(db: Executor, before: number | undefined, limit: number): Promise<ModerationLogRow[]> {
    return db
      .select({
        id: moderationLog.id,
        actorId: moderationLog.actorId,
        actorName: users.displayName,
        action: moderationLog.action,
        subjectType: moderationLog.subjectType,
        subjectId: moderationLog.subjectId,
        before: moderationLog.before,
        after: moderationLog.after,
        createdAt: moderationLog.createdAt,
      })
      .from(moderationLog)
      .leftJoin(users, eq(users.id, moderationLog.actorId))
      .where(before ? lt(moderationLog.id, before) : sql`true`)
      .orderBy(desc(moderationLog.id))
      .limit(limit + 1);
  },

  /** The account with this (normalised) address, locked. */
  async lockAccountByEmail(db: Executor, email: string): Promise<AccountRow | undefined> {
    const [row] = await db
      .select({ id: users.id, email: users.email, displayName: users.displayName, moderatorSince: users.moderatorSince })
      .from(users)
      .where(eq(users.email, email))
      .for('update');
    return row;
  },

  /** An account's standing, locked. */
  async lockStanding(db: Executor, userId: string): Promise<{ suspendedAt: Date | null; moderatorSince: Date | null } | undefined> {
    const [row] = await db.select({ suspendedAt: users.suspendedAt, moderatorSince: users.moderatorSince }).from(users).where(eq(users.id, userId)).for('update');
    return row;
  },

  async setStanding(db: Executor, userId: string, values: { suspendedAt?: Date | null; moderatorSince?: Date | null }): Promise<void> {
    await db.update(users).set(values).where(eq(users.id, userId));
  },

  /** Moderators, longest-serving first. */
  async moderators(db: Executor): Promise<{ id: string; email: string; displayName: string; since: Date | null }[]> {
    return db
      .select({ id: users.id, email: users.email, displayName: users.displayName, since: users.moderatorSince })
      .from(users)
      .where(isNotNull(users.moderatorSince))
      .orderBy(users.moderatorSince, users.email);
  },
  /** Every report older than report `before`, newest first, one more than `limit`. */
  async flagsPage(db: Executor, before: string | undefined, limit: number): Promise<ModerationFlagRow[]> {
    const rows = rowsOf<ModerationFlagRecord>(
      await db.execute(sql`
      SELECT f.id, f.reason, f.created_at, f.reporter_id, r.display_name AS reporter_name,
             p.id AS post_id, p.title AS post_title, p.hidden_at IS NOT NULL AS post_hidden,
             p.author_id AS post_author_id, pa.display_name AS post_author_name,
             ST_Y(p.location::geometry) AS lat, ST_X(p.location::geometry) AS lng,
             u.id AS user_id, u.display_name AS user_name, u.suspended_at IS NOT NULL AS user_suspended
      FROM flags f
      JOIN users r ON r.id = f.reporter_id
      LEFT JOIN posts p ON p.id = f.post_id
      LEFT JOIN users pa ON pa.id = p.author_id
      LEFT JOIN users u ON u.id = f.user_id
      ${before ? sql`WHERE (f.created_at, f.id) < (SELECT b.created_at, b.id FROM flags b WHERE b.id = ${before})` : sql``}
      ORDER BY f.created_at DESC, f.id DESC
      LIMIT ${limit + 1}`),
    );
    return rows.map((r) => ({
      id: r.id,
      reason: r.reason,
      createdAt: new Date(r.created_at),
      reporter: { id: r.reporter_id, displayName: r.reporter_name },
      post: r.post_id
        ? {
            id: r.post_id,
            title: r.post_title!,
            hidden: r.post_hidden === true,
            authorId: r.post_author_id!,
            authorName: r.post_author_name!,
            lat: Number(r.lat),
            lng: Number(r.lng),
          }
        : null,
      user: r.user_id ? { id: r.user_id, displayName: r.user_name!, suspended: r.user_suspended === true } : null,
    }));
  },
};
