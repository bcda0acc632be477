// Roles in communities and what they entitle to: who holds which role,
// who organizes a post (may see its exact place, act on it), and the lock
// that keeps roles still while an organizer acts. Features, the outbox and
// the hub ask here; nothing here knows a feature.
import { and, eq, type SQL, sql } from 'drizzle-orm';
import { communities, type Executor, memberships, rowsOf, uuidArray } from '../../db';
import type { COMMUNITY_ROLES } from '../../db/schema';
import { forbidden, notFound } from '../http/problem';
import { notBlocked } from './blocks';
import { activeMember, homeCommunity, memberPost } from './places';

export type Role = (typeof COMMUNITY_ROLES)[number];

/** Roles in order of what they may do (an admin has every organizer power). */
export const RANK: Record<Role, number> = { member: 0, organizer: 1, admin: 2 };

export interface Actor {
  id: string;
}

/** The caller's membership of a community, or null. */
export async function membershipOf(db: Executor, communityId: string, userId: string): Promise<{ role: Role; suspendedAt: Date | null } | null> {
  const [row] = await db
    .select({ role: memberships.role, suspendedAt: memberships.suspendedAt })
    .from(memberships)
    .where(and(eq(memberships.communityId, communityId), eq(memberships.userId, userId)));
  return row ?? null;
}

/**
 * Serializes changes to a community's roles, suspensions and members (held
 * to the end of the transaction); `share`: for work that relies on them not
 * changing meanwhile (an organizer's proposal), which need not wait for each other.
 */
export async function lockCommunity(tx: Executor, communityId: string, mode: 'update' | 'share' = 'update'): Promise<boolean> {
  const rows = rowsOf(await tx.execute(sql`SELECT 1 FROM ${communities} WHERE id = ${communityId} ${mode === 'share' ? sql`FOR SHARE` : sql`FOR UPDATE`}`));
  return rows.length > 0;
}

/**
 * The caller holds at least `min` in the community (suspended members hold
 * nothing). 404 when the community does not exist, 403 otherwise.
 */
export async function requireRole(db: Executor, communityId: string, actor: Actor, min: Role): Promise<Role> {
  const [c] = await db.select({ id: communities.id }).from(communities).where(eq(communities.id, communityId));
  if (!c) {
    throw notFound('No community with this id.', 'community.not_found');
  }
  const m = await membershipOf(db, communityId, actor.id);
  if (!m || m.suspendedAt || RANK[m.role] < RANK[min]) {
    throw forbidden(min === 'admin' ? "Only the community's admins can do this." : min === 'organizer' ? "Only the community's organizers can do this." : 'Join this community first.', `community.${min}_only`);
  }
  return m.role;
}

/**
 * Of these posts, the ones whose exact place `viewerId` may see as an
 * organizer: the post lies in a community (the smallest whose boundary holds
 * it) that the viewer organizes or administers, and its author is a member
 * there (joining is the consent); suspended memberships count for neither.
 */
export async function organizedPostIds(db: Executor, viewerId: string, postIds: string[]): Promise<Set<string>> {
  if (postIds.length === 0) {
    return new Set();
  }
  // Most people organize nothing: one indexed look decides that before any geometry.
  const [organizes] = await db
    .select({ one: sql`1` })
    .from(memberships)
    .where(and(eq(memberships.userId, viewerId), sql`${memberships.role} IN ('organizer', 'admin')`, sql`${memberships.suspendedAt} IS NULL`))
    .limit(1);
  if (!organizes) {
    return new Set();
  }
  const rows = rowsOf<{ id: string }>(
    await db.execute(sql`
      SELECT p.id FROM posts p
      JOIN memberships org ON org.community_id = ${homeCommunity(sql`p.location`)} AND org.user_id = ${viewerId}
        AND org.role IN ('organizer', 'admin') AND org.suspended_at IS NULL
      WHERE p.id = ANY(${uuidArray(postIds)}) AND ${activeMember(sql`org.community_id`, sql`p.author_id`)}
        AND ${notBlocked(viewerId, sql`p.author_id`)}`),
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Whether membership row `org` makes its user entitled to a post by
 * `author` at `place` (its true place): an unsuspended organizer or admin of
 * the smallest community holding the place, where the author is an active
 * member, neither blocking the other, and not the author. The one rule of
 * entitledOrganizers and entitledOrganizersAt.
 */
function entitledOrganizer(place: SQL, author: SQL): SQL {
  return sql`org.community_id = ${homeCommunity(place)}
    AND org.role IN ('organizer', 'admin') AND org.suspended_at IS NULL AND org.user_id <> ${author}
    AND ${activeMember(sql`org.community_id`, author)} AND ${notBlocked(sql`org.user_id`, author)}`;
}

/**
 * For each of these posts, the organizers and admins who may see its exact
 * place (the rule of organizedPostIds, from the posts' side): live events
 * carry them so sockets get the form each is entitled to. Posts nobody
 * organizes are absent.
 */
export async function entitledOrganizers(db: Executor, postIds: string[]): Promise<Map<string, string[]>> {
  if (postIds.length === 0) {
    return new Map();
  }
  const rows = rowsOf<{ id: string; organizers: string[] }>(
    await db.execute(sql`
      SELECT p.id, array_agg(org.user_id) AS organizers FROM posts p
      JOIN memberships org ON ${entitledOrganizer(sql`p.location`, sql`p.author_id`)}
      WHERE p.id = ANY(${uuidArray(postIds)})
      GROUP BY p.id`),
  );
  return new Map(rows.map((r) => [r.id, r.organizers]));
}

/**
 * entitledOrganizers for a post not yet written, as an SQL expression (a
 * uuid[], null when none): its event is appended by the statement that
 * writes it, which cannot read it back, so the rule takes its true place
 * and author directly.
 */
export function entitledOrganizersAt(place: SQL, author: SQL): SQL {
  return sql`(SELECT array_agg(org.user_id) FROM memberships org WHERE ${entitledOrganizer(place, author)})`;
}

/**
 * The community whose organizers may act on a post (memberPost: its author
 * is an active member there, and the smallest community holding its true
 * place) and those of its active organizers and admins neither blocked by
 * the author nor blocking them; none when the author is no member there.
 */
export async function organizersOfPost(db: Executor, postId: string): Promise<{ communityId: string; organizerIds: string[] }[]> {
  const rows = rowsOf<{ community_id: string; organizers: string[] }>(
    await db.execute(sql`
      SELECT m.community_id, array_agg(m.user_id ORDER BY m.user_id) AS organizers
      FROM posts p
      JOIN memberships m ON m.role IN ('organizer', 'admin') AND m.suspended_at IS NULL
      WHERE p.id = ${postId}
        AND m.community_id = ${homeCommunity(sql`p.location`)}
        AND ${memberPost(sql`m.community_id`, sql`m.user_id`)}
      GROUP BY m.community_id ORDER BY m.community_id`),
  );
  return rows.map((r) => ({ communityId: r.community_id, organizerIds: r.organizers }));
}


/**
 * The community where the user (an unsuspended organizer or admin) may act on
 * the post (memberPost: its author an active member there, the smallest
 * community holding its true place, nobody blocked either way), or null.
 */
export async function organizedHomeOf(db: Executor, userId: string, postId: string): Promise<string | null> {
  const [row] = rowsOf<{ id: string }>(
    await db.execute(sql`SELECT m.community_id AS id FROM posts p
      JOIN memberships m ON m.user_id = ${userId} AND m.role IN ('organizer', 'admin') AND m.suspended_at IS NULL
      WHERE p.id = ${postId} AND ${memberPost(sql`m.community_id`, userId)}
      ORDER BY m.community_id LIMIT 1`),
  );
  return row?.id ?? null;
}

/** Whether the user may act on the post as an organizer (organizedHomeOf). */
export async function organizesHome(db: Executor, userId: string, postId: string): Promise<boolean> {
  return (await organizedHomeOf(db, userId, postId)) !== null;
}

