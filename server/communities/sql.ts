// The SQL every community rule is built from, written once: which community
// a post belongs to, who counts as a member, and a list of ids as a
// parameter.
import { type SQL, sql } from 'drizzle-orm';

/** The community a place belongs to: the smallest whose boundary holds it (ties by id), or NULL. */
export function homeCommunity(location: SQL): SQL {
  return sql`(SELECT hc.id FROM communities hc WHERE ST_Covers(hc.boundary, ${location}) ORDER BY hc.area_sqm, hc.id LIMIT 1)`;
}

/**
 * Whether post `p` belongs to the community, as organizers' tools see it:
 * its members' posts by their true place (joining is the consent; the
 * smallest community holding it), everyone else's by their public point. So
 * a community drawn around a place learns nothing about non-members' posts
 * that the map does not already show (anyone may start one).
 */
export function belongsTo(communityId: SQL | string, p: SQL = sql`p`): SQL {
  return sql`(CASE WHEN ${activeMember(communityId, sql`${p}.author_id`)}
    THEN ${homeCommunity(sql`${p}.location`)} = ${communityId}
    ELSE ${homeCommunity(sql`${p}.public_location`)} = ${communityId} END)`;
}

/** Whether a post's true or public place lies in the community's boundary (the index-backed prefilter of belongsTo). */
export function inBoundary(boundary: SQL, p: SQL = sql`p`): SQL {
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
