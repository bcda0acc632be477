// The SQL every community rule is built from, written once: which community
// a post belongs to, who counts as a member, and a list of ids as a
// parameter.
import { type SQL, sql } from 'drizzle-orm';

/** The community a place belongs to: the smallest whose boundary holds it (ties by id), or NULL. */
export function homeCommunity(location: SQL): SQL {
  return sql`(SELECT hc.id FROM communities hc WHERE ST_Covers(hc.boundary, ${location}) ORDER BY hc.area_sqm, hc.id LIMIT 1)`;
}

/** Whether the user is a member of the community and not suspended (joining is the consent organizers' rights rest on). */
export function activeMember(communityId: SQL | string, userId: SQL | string): SQL {
  return sql`EXISTS (SELECT 1 FROM memberships am WHERE am.community_id = ${communityId} AND am.user_id = ${userId} AND am.suspended_at IS NULL)`;
}

/** Ids as one uuid[] parameter (ids are validated UUIDs: the route schemas check them). */
export function uuidArray(ids: string[]): SQL {
  return sql`${`{${ids.join(',')}}`}::uuid[]`;
}
