// Moderation: anyone signed in reports a post or a person; organizers see
// the reports about their community's members (never who filed them), hide
// members' posts (they leave listings, maps, live feeds and candidate lists;
// the author is told) and suspend members. Platform moderators
// (server/moderation) hide any post. Every action is audited in its own
// transaction: an organizer's in the community's log, a moderator's in the
// moderation log.
import { type DB, type Executor, sqlState } from '../../db';
import { badRequest, conflict, forbidden, notFound } from '../http/problem';
import { Outbox } from '../live/outbox';
import { cancelPostAndMatches } from '../matches/service';
import type { PostRow } from '../posts/repository';
import { postsRepo } from '../posts/repository';
import type { SessionUser } from '../auth/repository';
import { logModeration } from '../moderation/service';
import { audit } from './service';
import { flagsRepo } from './flags-repository';
import { membershipsRepo } from './repository';
import { isModerator, lockCommunity, membershipOf, organizedHomeOf, RANK, requireRole } from '../access';
import { postChange } from '../posts/view';
import { postSavedJob } from '../posts/followup';
import { enqueue } from '../queue/queue';

export interface FlagInput {
  postId?: string;
  userId?: string;
  reason: string;
}

/** Files a report (201), or answers the one already filed for this target (200). */
export async function fileFlag(db: DB, reporter: { id: string }, input: FlagInput): Promise<{ created: boolean; id: string }> {
  if ((input.postId === undefined) === (input.userId === undefined)) {
    throw badRequest('Report one thing: a post (postId) or a person (userId).', [{ path: input.postId ? '/userId' : '/postId', message: 'give exactly one of postId and userId' }], 'flag.one_subject');
  }
  const reason = input.reason.trim();
  if (reason === '') {
    throw badRequest('Say what is wrong, so organizers can act.', [{ path: '/reason', message: 'must not be blank', code: 'blank' }], 'flag.reason');
  }
  if (input.userId === reporter.id) {
    throw badRequest('You cannot report yourself.', [{ path: '/userId', message: 'is you', code: 'self' }], 'flag.self');
  }
  const target = input.postId ? { postId: input.postId } : { userId: input.userId! };
  try {
    const id = await flagsRepo.insert(db, { reporterId: reporter.id, ...target, reason });
    if (id) {
      return { created: true, id };
    }
  } catch (error) {
    if (sqlState(error) === '23503') {
      throw notFound(input.postId ? 'There is no post with this id.' : 'There is no person with this id.', input.postId ? 'post.not_found' : 'person.not_found');
    }
    throw error;
  }
  return { created: false, id: (await flagsRepo.find(db, reporter.id, target))! };
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
  const rows = await flagsRepo.forOrganizer(db, actor.id, communityId);
  return rows.map((r) => ({
    id: r.id,
    reason: r.reason,
    createdAt: r.createdAt.toISOString(),
    ...(r.post ? { post: r.post } : {}),
    ...(r.user ? { user: r.user } : {}),
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
    throw notFound('There is no post with this id.', 'post.not_found');
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
    await membershipsRepo.update(tx, communityId, userId, { suspendedAt: now });
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
    await membershipsRepo.update(tx, communityId, userId, { suspendedAt: null });
    await audit(tx, { communityId, actorId: actor.id, action: 'member.unsuspend', subjectType: 'user', subjectId: userId, before: { suspended: true }, after: { suspended: false } });
  });
}

/** Brings a hidden post back (open again, unless its time has passed); its withdrawn matches stay withdrawn. */
export async function unhidePost(db: DB, actor: { id: string }, postId: string, now: Date): Promise<PostRow> {
  return db.transaction(async (tx) => {
    const row = await postsRepo.find(tx, postId, { forUpdate: true });
    if (!row) {
      throw notFound('There is no post with this id.', 'post.not_found');
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
    // Its suggestions come back after the reply, as after an edit.
    await enqueue(tx, now, [postSavedJob(postId, false)]);
    const change = { subjectId: postId, before: { status: 'hidden' }, after: { status: 'open' } };
    if (authority === 'moderator') {
      await logModeration(tx, { actorId: actor.id, action: 'post.unhide', subjectType: 'post', ...change, now });
    } else {
      await audit(tx, { communityId: authority.communityId, actorId: actor.id, action: 'post.unhide', subjectType: 'post', ...change });
    }
    return after;
  });
}
