// Platform moderators: a site-level role on users, granted and revoked from
// the command line only (cli.ts), never over HTTP. Moderators read every
// report with its reporter, hide and bring back any post, and suspend
// accounts platform-wide; each of those, and each grant, is appended to
// moderation_log in the transaction of the change.
import { desc, eq, isNotNull, lt, sql } from 'drizzle-orm';
import { type DB, type Executor, moderationLog, rowsOf, sessions, users } from '../../db';
import { roundLatLng } from '../geo/geo';
import { forbidden, notFound } from '../http/problem';
import { Outbox } from '../live/outbox';
import { postsRepo } from '../posts/repository';
import { requireModerator } from '../access';
import { postChange } from '../posts/view';
import { announceSignOut } from '../auth/repository';

export interface LogEntry {
  /** null: the command line. */
  actorId: string | null;
  action: string;
  subjectType: 'post' | 'user';
  subjectId: string;
  before?: unknown;
  after?: unknown;
  now: Date;
}

/** Appends to the moderation log (in the caller's transaction). */
export async function logModeration(db: Executor, entry: LogEntry): Promise<void> {
  await db.insert(moderationLog).values({
    actorId: entry.actorId,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: entry.subjectId,
    before: entry.before ?? null,
    after: entry.after ?? null,
    createdAt: entry.now,
  });
}

// ---- the command line's side: grants ----------------------------------------------------------

export class UnknownAccount extends Error {}

async function accountByEmail(db: Executor, email: string) {
  const [row] = await db
    .select({ id: users.id, email: users.email, displayName: users.displayName, moderatorSince: users.moderatorSince })
    .from(users)
    .where(eq(users.email, email.trim().toLowerCase()))
    .for('update');
  if (!row) {
    throw new UnknownAccount(`No account has the e-mail address ${email.trim()}.`);
  }
  return row;
}

/** Makes the account a moderator; false when it was one already (nothing logged). */
export async function grantModerator(db: DB, email: string, now: Date): Promise<boolean> {
  return db.transaction(async (tx) => {
    const account = await accountByEmail(tx, email);
    if (account.moderatorSince) {
      return false;
    }
    await tx.update(users).set({ moderatorSince: now }).where(eq(users.id, account.id));
    await logModeration(tx, { actorId: null, action: 'moderator.grant', subjectType: 'user', subjectId: account.id, before: { moderator: false }, after: { moderator: true }, now });
    return true;
  });
}

/** Takes the role back; false when the account was no moderator (nothing logged). */
export async function revokeModerator(db: DB, email: string, now: Date): Promise<boolean> {
  return db.transaction(async (tx) => {
    const account = await accountByEmail(tx, email);
    if (!account.moderatorSince) {
      return false;
    }
    await tx.update(users).set({ moderatorSince: null }).where(eq(users.id, account.id));
    await logModeration(tx, { actorId: null, action: 'moderator.revoke', subjectType: 'user', subjectId: account.id, before: { moderator: true }, after: { moderator: false }, now });
    return true;
  });
}

export async function listModerators(db: Executor): Promise<{ id: string; email: string; displayName: string; since: Date }[]> {
  const rows = await db
    .select({ id: users.id, email: users.email, displayName: users.displayName, since: users.moderatorSince })
    .from(users)
    .where(isNotNull(users.moderatorSince))
    .orderBy(users.moderatorSince, users.email);
  return rows.map((r) => ({ ...r, since: r.since! }));
}

// ---- suspensions ----------------------------------------------------------------------------

/**
 * Suspends an account platform-wide: its sessions end (its sockets are
 * closed), it cannot sign in, and its open posts leave listings and
 * candidate lists (accountActive). Suspending twice changes nothing.
 */
export async function suspendAccount(db: DB, actor: { id: string }, userId: string, reason: string, now: Date): Promise<void> {
  await requireModerator(db, actor);
  if (userId === actor.id) {
    throw forbidden('You cannot suspend yourself.');
  }
  const ended = await db.transaction(async (tx) => {
    await requireModerator(tx, actor);
    const [target] = await tx.select({ suspendedAt: users.suspendedAt, moderatorSince: users.moderatorSince }).from(users).where(eq(users.id, userId)).for('update');
    if (!target) {
      throw notFound('There is no person with this id.');
    }
    if (target.moderatorSince) {
      throw forbidden('Moderators are not suspended over HTTP; revoke the role from the command line first.');
    }
    if (target.suspendedAt) {
      return [];
    }
    await tx.update(users).set({ suspendedAt: now }).where(eq(users.id, userId));
    // Maps showing their open posts drop them now, as for a hidden post, not at the posts' next change.
    const events = new Outbox(now);
    for (const row of await postsRepo.openByAuthor(tx, userId, now)) {
      events.post(postChange({ ...row, hiddenAt: now }, row, now));
    }
    await events.flush(tx);
    const gone = await tx.delete(sessions).where(eq(sessions.userId, userId)).returning({ tokenHash: sessions.tokenHash });
    await logModeration(tx, { actorId: actor.id, action: 'user.suspend', subjectType: 'user', subjectId: userId, before: { suspended: false }, after: { suspended: true, reason: reason.trim() }, now });
    return gone;
  });
  // Their sockets close (code 4001), on every process: the sessions are gone already.
  for (const s of ended) {
    await announceSignOut(db, Buffer.from(s.tokenHash).toString('hex'));
  }
}

/** Lifts a platform suspension (idempotent); the account signs in again, its open posts come back. */
export async function unsuspendAccount(db: DB, actor: { id: string }, userId: string, now: Date): Promise<void> {
  await requireModerator(db, actor);
  await db.transaction(async (tx) => {
    await requireModerator(tx, actor);
    const [target] = await tx.select({ suspendedAt: users.suspendedAt }).from(users).where(eq(users.id, userId)).for('update');
    if (!target) {
      throw notFound('There is no person with this id.');
    }
    if (!target.suspendedAt) {
      return;
    }
    await tx.update(users).set({ suspendedAt: null }).where(eq(users.id, userId));
    // And maps in view of them show them again.
    const events = new Outbox(now);
    for (const row of await postsRepo.openByAuthor(tx, userId, now)) {
      events.post(postChange(row, { ...row, hiddenAt: now }, now));
    }
    await events.flush(tx);
    await logModeration(tx, { actorId: actor.id, action: 'user.unsuspend', subjectType: 'user', subjectId: userId, before: { suspended: true }, after: { suspended: false }, now });
  });
}

// ---- reading ----------------------------------------------------------------------------------

/**
 * Every report, newest first, with its reporter: moderators only. A post's
 * exact place is shown, as moderators may act on any post.
 */
export async function moderationFlags(db: DB, actor: { id: string }, before: string | undefined, limit: number) {
  await requireModerator(db, actor);
  const rows = rowsOf<{
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
  }>(
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
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      reason: r.reason,
      createdAt: new Date(r.created_at).toISOString(),
      reporter: { id: r.reporter_id, displayName: r.reporter_name },
      ...(r.post_id
        ? {
            post: {
              id: r.post_id,
              title: r.post_title!,
              hidden: r.post_hidden === true,
              author: { id: r.post_author_id!, displayName: r.post_author_name! },
              location: roundLatLng({ lat: Number(r.lat), lng: Number(r.lng) }),
            },
          }
        : {}),
      ...(r.user_id ? { user: { id: r.user_id, displayName: r.user_name!, suspended: r.user_suspended === true } } : {}),
    })),
    nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
  };
}

/** The moderation log, newest first (moderators). */
export async function readModerationLog(db: DB, actor: { id: string }, before: number | undefined, limit: number) {
  await requireModerator(db, actor);
  const rows = await db
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
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      actor: r.actorId ? { id: r.actorId, displayName: r.actorName ?? '' } : null,
      action: r.action,
      subjectType: r.subjectType,
      subjectId: r.subjectId,
      before: r.before,
      after: r.after,
      createdAt: r.createdAt.toISOString(),
    })),
    nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
  };
}
