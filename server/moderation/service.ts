// Platform moderators: a site-level role on users, granted and revoked from
// the command line only (cli.ts), never over HTTP. Moderators read every
// report with its reporter, hide and bring back any post, and suspend
// accounts platform-wide; each of those, and each grant, is appended to
// moderation_log in the transaction of the change.
import type { DB, Executor } from '../../db';
import type { LoggedState } from '../../db/json';
import { roundLatLng } from '../geo/geo';
import { forbidden, notFound } from '../http/problem';
import { Outbox } from '../live/outbox';
import { postsRepo } from '../posts/repository';
import { requireModerator } from '../access';
import { postChange } from '../posts/view';
import { announceEnded, sessionsRepo } from '../auth/repository';
import { moderationRepo } from './repository';

export interface LogEntry {
  /** null: the command line. */
  actorId: string | null;
  action: string;
  subjectType: 'post' | 'user';
  subjectId: string;
  before?: LoggedState | null;
  after?: LoggedState | null;
  now: Date;
}

/** Appends to the moderation log (in the caller's transaction). */
export async function logModeration(db: Executor, entry: LogEntry): Promise<void> {
  await moderationRepo.log(db, {
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
  const row = await moderationRepo.lockAccountByEmail(db, email.trim().toLowerCase());
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
    await moderationRepo.setStanding(tx, account.id, { moderatorSince: now });
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
    await moderationRepo.setStanding(tx, account.id, { moderatorSince: null });
    await logModeration(tx, { actorId: null, action: 'moderator.revoke', subjectType: 'user', subjectId: account.id, before: { moderator: true }, after: { moderator: false }, now });
    return true;
  });
}

export async function listModerators(db: Executor): Promise<{ id: string; email: string; displayName: string; since: Date }[]> {
  const rows = await moderationRepo.moderators(db);
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
    const target = await moderationRepo.lockStanding(tx, userId);
    if (!target) {
      throw notFound('There is no person with this id.');
    }
    if (target.moderatorSince) {
      throw forbidden('Moderators are not suspended over HTTP; revoke the role from the command line first.');
    }
    if (target.suspendedAt) {
      return [];
    }
    await moderationRepo.setStanding(tx, userId, { suspendedAt: now });
    // Maps showing their open posts drop them now, as for a hidden post, not at the posts' next change.
    const events = new Outbox(now);
    for (const row of await postsRepo.openByAuthor(tx, userId, now)) {
      events.post(postChange({ ...row, hiddenAt: now }, row, now));
    }
    await events.flush(tx);
    const gone = await sessionsRepo.deleteAllOf(tx, userId);
    await logModeration(tx, { actorId: actor.id, action: 'user.suspend', subjectType: 'user', subjectId: userId, before: { suspended: false }, after: { suspended: true, reason: reason.trim() }, now });
    return gone;
  });
  // Their sockets close (code 4001), on every process: the sessions are gone already.
  await announceEnded(db, ended);
}

/** Lifts a platform suspension (idempotent); the account signs in again, its open posts come back. */
export async function unsuspendAccount(db: DB, actor: { id: string }, userId: string, now: Date): Promise<void> {
  await requireModerator(db, actor);
  await db.transaction(async (tx) => {
    await requireModerator(tx, actor);
    const target = await moderationRepo.lockStanding(tx, userId);
    if (!target) {
      throw notFound('There is no person with this id.');
    }
    if (!target.suspendedAt) {
      return;
    }
    await moderationRepo.setStanding(tx, userId, { suspendedAt: null });
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
  const rows = await moderationRepo.flagsPage(db, before, limit);
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      reason: r.reason,
      createdAt: r.createdAt.toISOString(),
      reporter: r.reporter,
      ...(r.post
        ? {
            post: {
              id: r.post.id,
              title: r.post.title,
              hidden: r.post.hidden,
              author: { id: r.post.authorId, displayName: r.post.authorName },
              location: roundLatLng({ lat: r.post.lat, lng: r.post.lng }),
            },
          }
        : {}),
      ...(r.user ? { user: r.user } : {}),
    })),
    nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
  };
}

/** The moderation log, newest first (moderators). */
export async function readModerationLog(db: DB, actor: { id: string }, before: number | undefined, limit: number) {
  await requireModerator(db, actor);
  const rows = await moderationRepo.logPage(db, before, limit);
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
