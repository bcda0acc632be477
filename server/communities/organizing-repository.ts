// What organizers' tools read about a community's posts and helpers: the
// roster and coverage (overview.ts), triage and bulk assignment
// (assignments.ts), exports (exports.ts). Which posts an organizer may see
// comes from server/access (memberPost, countedIn); whether they may ask at
// all is checked by the services first.
import { and, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { type Executor, posts, rowsOf, uuidArray } from '../../db';
import { accountActive, activeMember, countedIn, inBoundary, memberPost, nearBoundary, notBlocked } from '../access';

type Kind = 'need' | 'offer';

/** `p`: the name server/access's conditions (memberPost) give the post they test. */
const p = alias(posts, 'p');

interface Range {
  from: Date;
  to: Date;
}

/**
 * Open posts of a kind with a window in [from, to): `rows`, the members' posts
 * the organizer may act on (memberPost), for the roster; `counts`, also
 * everyone else's at their public points (countedIn), for coverage's
 * aggregate figures only.
 */
function belongingOpen(organizerId: string, communityId: string, kind: Kind, from: Date, to: Date, scope: 'rows' | 'counts') {
  return sql`
    SELECT p.id, p.author_id, p.category, p.title, p.details, p.capacity_left,
      -- An organizer may know the exact place of members' posts only (joining is the consent).
      CASE WHEN ${activeMember(sql`me.id`, sql`p.author_id`)} THEN p.location ELSE p.public_location END AS location
    FROM communities me
    JOIN posts p ON ${scope === 'rows' ? inBoundary(sql`me.boundary`) : nearBoundary(sql`me.boundary`)}
    WHERE me.id = ${communityId} AND p.status = 'open' AND p.kind = ${kind}
      AND EXISTS (SELECT 1 FROM post_windows w WHERE w.post_id = p.id
        AND w.during && tstzrange(${from.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz, '[)'))
      AND ${scope === 'rows' ? memberPost(sql`me.id`, organizerId) : countedIn(sql`me.id`, organizerId)}`;
}

/** A member's open offer on the roster, with the starts of its next three windows (RFC 3339, UTC). */
export interface RosterOffer {
  id: string;
  authorId: string;
  category: string;
  title: string;
  details: { languages?: string[] };
  nextWindows: string[];
}

/** A member's record as a helper. */
export interface HelperRecord {
  userId: string;
  displayName: string;
  accepted30d: number;
  completed: number;
  cancelledAfterAccepting: number;
}

/** Posts of one kind and category counted in a coverage cell (`gx`, `gy`: the cell's index in degrees of `dLng`, `dLat`). */
export interface CoverageCellCount {
  kind: Kind;
  category: string;
  gx: number;
  gy: number;
  n: number;
  /** Of them, needs no member's offer can serve (0 for offers). */
  unserved: number;
}

/** Posts of one kind with a window on a day (YYYY-MM-DD in the community's zone). */
export interface CoverageDayCount {
  kind: Kind;
  day: string;
  n: number;
  /** Of them, needs no member's offer can serve (0 for offers). */
  unserved: number;
}

/** A post planned into an export, and its community's slug. */
export interface ExportPick {
  id: string;
  slug: string;
}

/** A post as an export holds it, exact place included. */
export interface ExportRecord {
  id: string;
  kind: string;
  category: string;
  title: string;
  status: string;
  hidden: boolean;
  authorId: string;
  authorName: string;
  lat: number;
  lng: number;
  capacity: number;
  capacityLeft: number;
  nextStart: Date | null;
  createdAt: Date;
  /** The other post of a match is named only when the organizer may act on it too. */
  matches: { id: string; status: string; needId: string | null; offerId: string | null; acceptedAt: string | null }[];
}

/** Drivers differ: postgres.js parses json and gives numbers, PGlite may give strings. */
function parsed<T>(value: T | string): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export const organizingRepo = {
  /** The members' open offers in the community with a window in the coming year (memberPost), each with its next three window starts. */
  async rosterOffers(db: Executor, organizerId: string, communityId: string, now: Date, until: Date): Promise<RosterOffer[]> {
    const rows = rowsOf<{ id: string; author_id: string; category: string; title: string; details: RosterOffer['details'] | string; next: string[] | null }>(
      await db.execute(sql`
      SELECT o.id, o.author_id, o.category, o.title, o.details,
        (SELECT array_agg(to_char(lower(w.during) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') ORDER BY lower(w.during))
           FROM (SELECT during FROM post_windows w WHERE w.post_id = o.id AND upper(w.during) > ${now.toISOString()}::timestamptz ORDER BY lower(w.during) LIMIT 3) w) AS next
      FROM (${belongingOpen(organizerId, communityId, 'offer', now, until, 'rows')}) o`),
    );
    return rows.map((r) => ({ id: r.id, authorId: r.author_id, category: r.category, title: r.title, details: parsed(r.details), nextWindows: r.next ?? [] }));
  },

  /** The community's active members the organizer has not blocked nor been blocked by, with their record since `since`; by name. */
  async helperRecords(db: Executor, organizerId: string, communityId: string, since: Date): Promise<HelperRecord[]> {
    const rows = rowsOf<{ user_id: string; display_name: string; accepted_30d: number; completed: number; cancelled_after_accepting: number }>(
      await db.execute(sql`
      SELECT m.user_id, u.display_name,
        (SELECT count(*)::int FROM matches x WHERE x.helper_id = m.user_id AND x.accepted_at > ${since.toISOString()}::timestamptz) AS accepted_30d,
        (SELECT count(*)::int FROM matches x WHERE x.helper_id = m.user_id AND x.status = 'completed') AS completed,
        (SELECT count(*)::int FROM matches x WHERE x.helper_id = m.user_id AND x.status = 'cancelled' AND x.accepted_at IS NOT NULL) AS cancelled_after_accepting
      FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.community_id = ${communityId} AND m.suspended_at IS NULL AND ${notBlocked(organizerId, sql`m.user_id`)}
      ORDER BY u.display_name, m.user_id`),
    );
    return rows.map((r) => ({
      userId: r.user_id,
      displayName: r.display_name,
      accepted30d: Number(r.accepted_30d),
      completed: Number(r.completed),
      cancelledAfterAccepting: Number(r.cancelled_after_accepting),
    }));
  },

  /**
   * Coverage's counts over [from, to) (countedIn: members' posts at their
   * true places, others' at their public points): per grid cell of `dLng` by
   * `dLat` degrees and category, and per day in `timezone` a post has a window;
   * with how many of the needs are among `unserved`.
   */
  async coverageCounts(
    db: Executor,
    organizerId: string,
    communityId: string,
    range: Range,
    grid: { dLng: number; dLat: number; timezone: string },
    unserved: string[],
  ): Promise<{ cells: CoverageCellCount[]; days: CoverageDayCount[] }> {
    const { from, to } = range;
    const { dLng, dLat } = grid;
    const postsIn = sql`(
      (SELECT 'need' AS kind, * FROM (${belongingOpen(organizerId, communityId, 'need', from, to, 'counts')}) n)
      UNION ALL
      (SELECT 'offer' AS kind, * FROM (${belongingOpen(organizerId, communityId, 'offer', from, to, 'counts')}) o))`;
    const inRange = sql`w.during && tstzrange(${from.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz, '[)')`;
    const [cellRows, dayRows] = await Promise.all([
      db.execute(sql`
      SELECT p.kind, p.category::text AS category, count(*)::int AS n,
        floor(ST_X(p.location::geometry) / ${dLng})::int AS gx, floor(ST_Y(p.location::geometry) / ${dLat})::int AS gy,
        (count(*) FILTER (WHERE p.id = ANY(${uuidArray(unserved)})))::int AS unserved
      FROM ${postsIn} p GROUP BY 1, 2, 4, 5`),
      // A post counts on each day (in the community's zone) it has a window.
      db.execute(sql`
      SELECT p.kind, to_char(lower(w.during) AT TIME ZONE ${grid.timezone}, 'YYYY-MM-DD') AS day, count(DISTINCT p.id)::int AS n,
        (count(DISTINCT p.id) FILTER (WHERE p.id = ANY(${uuidArray(unserved)})))::int AS unserved
      FROM ${postsIn} p JOIN post_windows w ON w.post_id = p.id AND ${inRange}
      GROUP BY 1, 2`),
    ]);
    return {
      cells: rowsOf<CoverageCellCount>(cellRows).map((r) => ({ kind: r.kind, category: r.category, gx: Number(r.gx), gy: Number(r.gy), n: Number(r.n), unserved: Number(r.unserved) })),
      days: rowsOf<CoverageDayCount>(dayRows).map((r) => ({ kind: r.kind, day: r.day, n: Number(r.n), unserved: Number(r.unserved) })),
    };
  },

  /**
   * Open posts of a kind that the organizer may act on in the community (its
   * active members' posts there, nobody blocked either way: memberPost), by
   * accounts not suspended platform-wide, with a window meeting [from, to)
   * and not over at `now`, the earliest upcoming window first; of some
   * categories only, or only some posts (`ids`), when asked.
   */
  async openPosts(
    db: Executor,
    organizerId: string,
    communityId: string,
    kind: Kind,
    range: Range,
    now: Date,
    options: { categories?: string[] | undefined; ids?: string[]; limit: number },
  ): Promise<{ id: string; category: string; nextStart: Date | null }[]> {
    const { categories, ids, limit } = options;
    return rowsOf<{ id: string; category: string; next_start: Date | string | null }>(
      await db.execute(sql`
      SELECT p.id, p.category::text AS category, min(lower(w.during)) AS next_start
      FROM communities me
      JOIN posts p ON ${inBoundary(sql`me.boundary`)}
      JOIN post_windows w ON w.post_id = p.id AND w.during && tstzrange(${range.from.toISOString()}::timestamptz, ${range.to.toISOString()}::timestamptz, '[)')
        AND upper(w.during) > ${now.toISOString()}::timestamptz
      WHERE me.id = ${communityId} AND p.status = 'open' AND p.kind = ${kind}
        ${categories && categories.length > 0 ? sql`AND p.category::text = ANY(${`{${categories.join(',')}}`}::text[])` : sql``}
        ${ids ? sql`AND p.id = ANY(${uuidArray(ids)})` : sql``}
        AND ${memberPost(sql`me.id`, organizerId)}
        AND ${accountActive(sql`p.author_id`)}
      GROUP BY p.id, p.created_at
      ORDER BY next_start, p.created_at, p.id
      LIMIT ${limit}`),
    ).map((r) => ({ id: r.id, category: r.category, nextStart: r.next_start === null ? null : new Date(r.next_start) }));
  },

  /**
   * The needs coverage counts over [from, to) (countedIn: members' at their
   * true places, others' at their public points), each with whether it is a
   * member's (whose true place decides, as for the organizer's other tools).
   */
  async countedNeeds(db: Executor, organizerId: string, communityId: string, range: Range): Promise<{ id: string; member: boolean }[]> {
    return rowsOf<{ id: string; member: boolean }>(
      await db.execute(sql`
      SELECT n.id, ${activeMember(sql`${communityId}::uuid`, sql`n.author_id`)} AS member
      FROM (${belongingOpen(organizerId, communityId, 'need', range.from, range.to, 'counts')}) n`),
    );
  },

  /** The live matches (proposed or accepted) of a need with any of these offers. */
  async liveMatches(db: Executor, needId: string, offerIds: string[]): Promise<Map<string, string>> {
    if (offerIds.length === 0) {
      return new Map();
    }
    const rows = rowsOf<{ offer_id: string; status: string }>(
      await db.execute(sql`SELECT offer_id, status FROM matches WHERE need_id = ${needId} AND offer_id = ANY(${uuidArray(offerIds)}) AND status IN ('proposed', 'accepted')`),
    );
    return new Map(rows.map((r) => [r.offer_id, r.status]));
  },

  /** Which of these needs a helper cancelled late (accepted, then cancelled less than a day before). */
  async cancelledLate(db: Executor, needIds: string[]): Promise<Set<string>> {
    if (needIds.length === 0) {
      return new Set();
    }
    // Raw: Executor offers no selectDistinct.
    const rows = rowsOf<{ need_id: string }>(await db.execute(sql`SELECT DISTINCT need_id FROM matches WHERE cancelled_late AND need_id = ANY(${uuidArray(needIds)})`));
    return new Set(rows.map((r) => r.need_id));
  },

  /** Which of these posts the organizer may act on in this community (memberPost). */
  async actionable(db: Executor, organizerId: string, communityId: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) {
      return new Set();
    }
    const rows = await db
      .select({ id: p.id })
      .from(p)
      .where(and(sql`${p.id} = ANY(${uuidArray(ids)})`, memberPost(communityId, organizerId)));
    return new Set(rows.map((r) => r.id));
  },

  /** The posts an export holds (one pass over the boundary): open, or made since `since`, that the organizer may act on; oldest first. */
  async exportPicks(db: Executor, organizerId: string, communityId: string, since: Date, limit: number): Promise<ExportPick[]> {
    return rowsOf<ExportPick>(
      await db.execute(sql`
      SELECT p.id, me.slug
      FROM communities me
      JOIN posts p ON ${inBoundary(sql`me.boundary`)}
      WHERE me.id = ${communityId}
        AND (p.status = 'open' OR p.created_at > ${since.toISOString()}::timestamptz)
        AND ${memberPost(sql`me.id`, organizerId)}
      ORDER BY p.created_at, p.id
      LIMIT ${limit}`),
    );
  },

  /** These posts with their matches, for an export, those the organizer may still act on; oldest first. */
  async exportRows(db: Executor, organizerId: string, communityId: string, ids: string[], now: Date): Promise<ExportRecord[]> {
    // Named as the record names them; dates and the JSON come as each driver gives them.
    const rows = rowsOf<
      Omit<ExportRecord, 'nextStart' | 'createdAt' | 'matches'> & { nextStart: Date | string | null; createdAt: Date | string; matches: ExportRecord['matches'] | string | null }
    >(
      await db.execute(sql`
      SELECT p.id, p.kind, p.category, p.title, p.status, p.hidden_at IS NOT NULL AS hidden,
             p.author_id AS "authorId", u.display_name AS "authorName",
             ST_Y(p.location::geometry) AS lat, ST_X(p.location::geometry) AS lng,
             p.capacity, p.capacity_left AS "capacityLeft",
             (SELECT min(lower(w.during)) FROM post_windows w WHERE w.post_id = p.id AND upper(w.during) > ${now.toISOString()}::timestamptz) AS "nextStart",
             p.created_at AS "createdAt",
             -- The other post of a match is named only when the organizer may act on it too (a member's):
             -- a non-member's post, matched and so off the map, is no organizer's business.
             (SELECT coalesce(json_agg(json_build_object('id', x.id, 'status', x.status,
                       'needId', CASE WHEN x.need_id = p.id OR ${memberPost(sql`me.id`, organizerId, sql`xo`)} THEN x.need_id END,
                       'offerId', CASE WHEN x.offer_id = p.id OR ${memberPost(sql`me.id`, organizerId, sql`xo`)} THEN x.offer_id END,
                       'acceptedAt', x.accepted_at) ORDER BY x.created_at), '[]'::json)
                FROM matches x JOIN posts xo ON xo.id = (CASE WHEN x.need_id = p.id THEN x.offer_id ELSE x.need_id END)
                WHERE x.need_id = p.id OR x.offer_id = p.id) AS matches
      FROM communities me
      JOIN posts p ON p.id = ANY(${uuidArray(ids)})
      JOIN users u ON u.id = p.author_id
      WHERE me.id = ${communityId}
        AND ${memberPost(sql`me.id`, organizerId)}
      ORDER BY p.created_at, p.id`),
    );
    return rows.map((r) => ({
      ...r,
      lat: Number(r.lat),
      lng: Number(r.lng),
      capacity: Number(r.capacity),
      capacityLeft: Number(r.capacityLeft),
      nextStart: r.nextStart === null ? null : new Date(r.nextStart),
      createdAt: new Date(r.createdAt),
      matches: parsed(r.matches ?? []),
    }));
  },
};
