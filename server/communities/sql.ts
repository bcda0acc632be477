// The SQL every community rule is built from, written once: which community
// a post belongs to, who counts as a member, and a list of ids as a
// parameter.
import { type SQL, sql } from 'drizzle-orm';
import { notBlocked } from '../safety/block-sql';

/** The community a place belongs to: the smallest whose boundary holds it (ties by id), or NULL. */
export function homeCommunity(location: SQL): SQL {
  return sql`(SELECT hc.id FROM communities hc WHERE ST_Covers(hc.boundary, ${location}) ORDER BY hc.area_sqm, hc.id LIMIT 1)`;
}

/**
 * Whether post `p` is one the community's organizer `organizerId` may act on
 * row by row (hide, export, triage, plan, roster, reports): its author is an
 * active member (joining is the consent organizers' powers rest on), its true
 * place lies in the community (the smallest holding it), and neither blocked
 * the other. Non-members' posts are never rows in an organizer's tools,
 * whatever area someone draws around them; they count only in coverage, at
 * their public points (countedIn).
 */
export function memberPost(communityId: SQL | string, organizerId: SQL | string, p: SQL = sql`p`): SQL {
  return sql`(${activeMember(communityId, sql`${p}.author_id`)}
    AND ${homeCommunity(sql`${p}.location`)} = ${communityId}
    AND ${notBlocked(organizerId, sql`${p}.author_id`)})`;
}

/**
 * Whether post `p` counts in the community's aggregate figures (coverage) for
 * `organizerId`: members' posts by their true place, everyone else's by their
 * public point, so a community drawn around a place counts nothing the map
 * does not already show; a block either way leaves the post out.
 */
export function countedIn(communityId: SQL | string, organizerId: SQL | string, p: SQL = sql`p`): SQL {
  return sql`((CASE WHEN ${activeMember(communityId, sql`${p}.author_id`)}
    THEN ${homeCommunity(sql`${p}.location`)} = ${communityId}
    ELSE ${homeCommunity(sql`${p}.public_location`)} = ${communityId} END)
    AND ${notBlocked(organizerId, sql`${p}.author_id`)})`;
}

/** Whether a post's true place lies in the community's boundary (the index-backed prefilter of memberPost). */
export function inBoundary(boundary: SQL, p: SQL = sql`p`): SQL {
  return sql`ST_Covers(${boundary}, ${p}.location)`;
}

/** Whether a post's true or public place lies in the boundary (the index-backed prefilter of countedIn). */
export function nearBoundary(boundary: SQL, p: SQL = sql`p`): SQL {
  return sql`(ST_Covers(${boundary}, ${p}.location) OR ST_Covers(${boundary}, ${p}.public_location))`;
}

/** Whether the user is a member of the community and not suspended (joining is the consent organizers' rights rest on). */
export function activeMember(communityId: SQL | string, userId: SQL | string): SQL {
  return sql`EXISTS (SELECT 1 FROM memberships am WHERE am.community_id = ${communityId} AND am.user_id = ${userId} AND am.suspended_at IS NULL)`;
}

/** Ids as one uuid[] parameter (ids are validated UUIDs: the route schemas check them). */
export function uuidArray(ids: string[]): SQL {
  return sql`${`{${ids.join(',')}}`}::uuid[]`;
}
