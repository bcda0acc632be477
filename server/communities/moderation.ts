// Moderation: anyone signed in reports a post or a person; organizers see
// the reports about their community's members (never who filed them), hide
// members' posts (they leave listings, maps, live feeds and candidate lists;
// the author is told) and suspend members. Platform moderators
// (server/moderation) hide any post. Every action is audited in its own
// transaction: an organizer's in the community's log, a moderator's in the
// moderation log.
import { and, eq, sql } from 'drizzle-orm';
import { type DB, type Executor, flags, memberships, rowsOf, sqlState } from '../../db';
import { badRequest, conflict, forbidden, notFound } from '../http/problem';
import { Outbox } from '../live/outbox';
import { cancelPostAndMatches } from '../matches/service';
import type { PostRow } from '../posts/repository';
import { postsRepo } from '../posts/repository';
import type { SessionUser } from '../auth/repository';
import { logModeration } from '../moderation/service';
import { audit } from './service';
import { isModerator, lockCommunity, memberPost, membershipOf, notBlocked, organizedHomeOf, RANK, requireRole } from '../access';
import { postChange } from '../posts/view';

export interface FlagInput {
  postId?: string;
  userId?: string;
  reason: string;
}

/** Files a report (201), or answers the one already filed for this target (200). */
export async function fileFlag(db: DB, reporter: { id: string }, input: FlagInput): Promise<{ created: boolean; id: string }> {
  if ((input.postId === undefined) === (input.userId === undefined)) {
    throw badRequest('Report one thing: a post (postId) or a person (userId).', [{ path: input.postId ? '/userId' : '/postId', message: 'give exactly one of postId and userId' }]);
  }
  const reason = input.reason.trim();
  if (reason === '') {
    throw badRequest('Say what is wrong, so organizers can act.', [{ path: '/reason', message: 'must not be blank' }]);
  }
  if (input.userId === reporter.id) {
    throw badRequest('You cannot report yourself.', [{ path: '/userId', message: 'is you' }]);
  }
  const target = input.postId ? { postId: input.postId } : { userId: input.userId! };
  try {
    const [row] = await db
      .insert(flags)
      .values({ reporterId: reporter.id, ...target, reason })
      .onConflictDoNothing()
      .returning({ id: flags.id });
    if (row) {
      return { created: true, id: row.id };
    }
  } catch (error) {
    if (sqlState(error) === '23503') {
      throw notFound(input.postId ? 'There is no post with this id.' : 'There is no person with this id.');
    }
    throw error;
  }
  const [existing] = await db
    .select({ id: flags.id })
    .from(flags)
    .where(and(eq(flags.reporterId, reporter.id), input.postId ? eq(flags.postId, input.postId) : eq(flags.userId, input.userId!)));
  return { created: false, id: existing!.id };
}

/**
 * Reports about the community's members and their posts there, newest first
 * (organizers): the report, its reason and its subject, never who filed it
 * (reporters are known to platform moderators only). Only posts and people
 * the organizer may act on (memberPost; an active member, nobody blocked
 * either way), and never reports about the organizer or their own posts. A
 * report about a person reaches the communities the reporter shares with
 * them, or all of theirs when they share none.
 */
export async function communityFlags(db: DB, actor: { id: string }, communityId: string) {
  await requireRole(db, communityId, actor, 'organizer');
  const rows = rowsOf<{
    id: string;
    reason: string;
    created_at: Date | string;
    post_id: string | null;
    post_title: string | null;
    post_hidden: boolean | null;
    user_id: string | null;
    user_name: string | null;
  }>(
    await db.execute(sql`
      SELECT f.id, f.reason, f.created_at,
             p.id AS post_id, p.title AS post_title, p.hidden_at IS NOT NULL AS post_hidden,
             u.id AS user_id, u.display_name AS user_name
      FROM flags f
      LEFT JOIN posts p ON p.id = f.post_id
      LEFT JOIN users u ON u.id = f.user_id
      WHERE (f.post_id IS NOT NULL AND p.author_id <> ${actor.id} AND ${memberPost(communityId, actor.id)})
         OR (f.user_id IS NOT NULL AND f.user_id <> ${actor.id}
             AND EXISTS (SELECT 1 FROM memberships m WHERE m.community_id = ${communityId} AND m.user_id = f.user_id AND m.suspended_at IS NULL)
             AND ${notBlocked(actor.id, sql`f.user_id`)}
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
    createdAt: new Date(r.created_at).toISOString(),
    ...(r.post_id ? { post: { id: r.post_id, title: r.post_title!, hidden: r.post_hidden === true } } : {}),
    ...(r.user_id ? { user: { id: r.user_id, displayName: r.user_name! } } : {}),
  }));
}

const HIDE_REFUSED = "Only the organizers of the community whose member wrote this post, and platform moderators, can hide it.";

/**
 * Who may hide or bring back the post, as whom: an organizer of the
 * community where its author is a member (organizedHomeOf), else a platform
 * moderator; null for anyone else.
 */
async function hideAuthority(db: Executor, actorId: string, postId: string): Promise<{ communityId: string } | 'moderator' | null> {
  const home = await organizedHomeOf(db, actorId, postId);
  if (home) {
    return { communityId: home };
  }
  return (await isModerator(db, actorId)) ? 'moderator' : null;
}

/**
 * Hides a post: an organizer of the community its author belongs to, or a
 * platform moderator, takes it down. Its live matches are withdrawn (both
 * sides told), it leaves every listing, and its author's sockets get it back
 * as `hidden`.
 */
export async function hidePost(db: DB, actor: SessionUser, postId: string, reason: string, now: Date): Promise<PostRow> {
  const existing = await postsRepo.find(db, postId);
  if (!existing) {
    throw notFound('There is no post with this id.');
  }
  if (existing.hiddenAt) {
    if (!(await hideAuthority(db, actor.id, postId))) {
      throw forbidden(HIDE_REFUSED);
    }
    return existing; // hidden already: nothing more to do
  }
  return cancelPostAndMatches(db, actor, postId, now, {
    hide: async (tx, row) => {
      const authority = await hideAuthority(tx, actor.id, postId);
      if (!authority) {
        throw forbidden(HIDE_REFUSED);
      }
      const change = { subjectId: postId, before: { status: row.status }, after: { status: 'hidden', reason: reason.trim() } };
      if (authority === 'moderator') {
        await logModeration(tx, { actorId: actor.id, action: 'post.hide', subjectType: 'post', ...change, now });
      } else {
        await audit(tx, { communityId: authority.communityId, actorId: actor.id, action: 'post.hide', subjectType: 'post', ...change });
      }
    },
  });
}

/** Suspends a member (organizers suspend members, admins also organizers; admins are demoted first). */
export async function suspend(db: DB, actor: { id: string }, communityId: string, userId: string, reason: string | undefined, now: Date): Promise<void> {
  await requireRole(db, communityId, actor, 'organizer');
  await db.transaction(async (tx) => {
    await lockCommunity(tx, communityId); // with role changes: nobody is made admin while being suspended
    const actorRole = await requireRole(tx, communityId, actor, 'organizer');
    const target = await membershipOf(tx, communityId, userId);
    if (!target) {
      throw notFound('This person is not a member of the community.');
    }
    if (target.role === 'admin') {
      throw conflict('Admins cannot be suspended; another admin changes their role first.');
    }
    if (RANK[target.role] >= RANK[actorRole]) {
      throw forbidden('Only an admin can suspend an organizer.');
    }
    if (target.suspendedAt) {
      return;
    }
    await tx.update(memberships).set({ suspendedAt: now }).where(and(eq(memberships.communityId, communityId), eq(memberships.userId, userId)));
    await audit(tx, { communityId, actorId: actor.id, action: 'member.suspend', subjectType: 'user', subjectId: userId, before: { suspended: false }, after: { suspended: true, ...(reason ? { reason } : {}) } });
  });
}

/** Lifts a suspension (idempotent). */
export async function unsuspend(db: DB, actor: { id: string }, communityId: string, userId: string): Promise<void> {
  await requireRole(db, communityId, actor, 'organizer');
  await db.transaction(async (tx) => {
    await lockCommunity(tx, communityId);
    const actorRole = await requireRole(tx, communityId, actor, 'organizer');
    const target = await membershipOf(tx, communityId, userId);
    if (!target) {
      throw notFound('This person is not a member of the community.');
    }
    if (RANK[target.role] >= RANK[actorRole]) {
      throw forbidden('Only an admin can lift the suspension of an organizer.');
    }
    if (!target.suspendedAt) {
      return;
    }
    await tx.update(memberships).set({ suspendedAt: null }).where(and(eq(memberships.communityId, communityId), eq(memberships.userId, userId)));
    await audit(tx, { communityId, actorId: actor.id, action: 'member.unsuspend', subjectType: 'user', subjectId: userId, before: { suspended: true }, after: { suspended: false } });
  });
}

/** Brings a hidden post back (open again, unless its time has passed); its withdrawn matches stay withdrawn. */
export async function unhidePost(db: DB, actor: { id: string }, postId: string, now: Date): Promise<PostRow> {
  return db.transaction(async (tx) => {
    const row = await postsRepo.find(tx, postId, { forUpdate: true });
    if (!row) {
      throw notFound('There is no post with this id.');
    }
    const authority = await hideAuthority(tx, actor.id, postId);
    if (!authority) {
      throw forbidden("Only the organizers of the community whose member wrote this post, and platform moderators, can bring it back.");
    }
    if (!row.hiddenAt) {
      return row;
    }
    await postsRepo.update(tx, postId, { status: 'open', hiddenAt: null, hiddenBy: null, updatedAt: now });
    const after = (await postsRepo.find(tx, postId))!;
    const events = new Outbox(now);
    events.post(postChange(after, row, now));
    await events.flush(tx);
    const change = { subjectId: postId, before: { status: 'hidden' }, after: { status: 'open' } };
    if (authority === 'moderator') {
      await logModeration(tx, { actorId: actor.id, action: 'post.unhide', subjectType: 'post', ...change, now });
    } else {
      await audit(tx, { communityId: authority.communityId, actorId: actor.id, action: 'post.unhide', subjectType: 'post', ...change });
    }
    return after;
  });
}
