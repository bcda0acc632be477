// Places and communities, as the SQL every rule is built from, written once:
// whether an area holds a place, which community a post belongs to, who
// counts as a member, and which posts an organizer may act on or count.
import { type SQL, sql } from 'drizzle-orm';
import { notBlocked } from './blocks';

/**
 * Whether a community's boundary holds a place (a point, inside or on an
 * edge): as the map draws the area, with edges straight in longitude and
 * latitude, as listings' boxes are. Planar, not on the sphere: PostGIS 3.3
 * spends about 1 ms on a geography ST_Covers of a point by a 1,000-vertex
 * boundary, with nothing cached between rows, and ST_DWithin(…, 0) on
 * geometry about 17 µs (test/bench/README.md, bench:abuse); the two differ
 * only near edges tens of kilometres long. Index-backed by
 * communities_boundary_geom_gix and posts_location_geom_gix /
 * posts_public_location_gix.
 */
export function covers(boundary: SQL, place: SQL): SQL {
  return sql`ST_DWithin((${boundary})::geometry, (${place})::geometry, 0)`;
}

/** The community a place belongs to: the smallest whose boundary holds it (ties by id), or NULL. */
export function homeCommunity(location: SQL): SQL {
  return sql`(SELECT hc.id FROM communities hc WHERE ${covers(sql`hc.boundary`, location)} ORDER BY hc.area_sqm, hc.id LIMIT 1)`;
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
  return covers(boundary, sql`${p}.location`);
}

/** Whether a post's true or public place lies in the boundary (the index-backed prefilter of countedIn). */
export function nearBoundary(boundary: SQL, p: SQL = sql`p`): SQL {
  return sql`(${covers(boundary, sql`${p}.location`)} OR ${covers(boundary, sql`${p}.public_location`)})`;
}

/** Whether the user is a member of the community and not suspended (joining is the consent organizers' rights rest on). */
export function activeMember(communityId: SQL | string, userId: SQL | string): SQL {
  return sql`EXISTS (SELECT 1 FROM memberships am WHERE am.community_id = ${communityId} AND am.user_id = ${userId} AND am.suspended_at IS NULL)`;
}
