// Candidate pairs for many needs at once (issue 17): an organizer's plan,
// triage counts and coverage ask "which of these offers could serve which of
// these needs", for up to thousands of each. Asking findCandidates once per
// need cost one KNN query per need, each reading up to 300 rows' windows
// (54 s for 1,377 needs at city scale, test/bench/README.md). Here the two
// sets are read once — rows, upcoming windows, the blocks between their
// authors, the helpers' recent accepts: four statements however many needs —
// and joined in memory by category, latitude band and time, with the same
// rules as findCandidates: the SQL prefilter's (status, ownership, blocks,
// suspended accounts, capacity, reach or remote tutoring, overlapping
// schedules), then score.ts's, which decide.
//
// One rule is the database's own: reach is tested in SQL by ST_DWithin on
// geography (on the spheroid), score.ts by the haversine distance (on a
// sphere); a pair counts only when both hold. The two differ by well under
// 1 %, so only pairs whose haversine distance lies within 1 % of their reach
// are sent back to the database for ST_DWithin (a fifth statement, usually a
// handful of rows).
import { sql } from 'drizzle-orm';
import { type Executor, matches, posts, rowsOf, users, uuidArray } from '../../db';
import { accountActive } from '../access';
import { distanceM, EARTH_RADIUS_M, type LatLng } from '../geo/geo';
import { postColumns, type PostRow } from '../posts/repository';
import { upcomingStored } from '../posts/windows';
import { FAIRNESS_WINDOW_MS, intervals, matchPost, type Place, PREFILTER_LIMIT, zoneOf } from './candidates';
import { evaluatePair, type Fit, type MatchPost, modeOf } from './score';

/** Haversine and the spheroid agree within this share of a distance (WGS 84 against a mean-radius sphere: under 0.6 %). */
const SPHEROID_SLACK = 0.01;

export interface PairsQuery {
  needIds: string[];
  offerIds: string[];
  now: Date;
  /** Which place of each post decides (see candidates.ts, Perspective): exact only where the viewer is entitled to it. */
  place: { need: (row: PostRow) => Place; offer: (row: PostRow) => Place };
  /** Someone the result is shown to (an organizer): offers by people blocked with them, either way, are left out. */
  notBlockedWith?: string;
  /** Per need, how many of the best pairs are kept (findCandidates' `limit`); default all. */
  keep?: number;
  /** Per need, how many of the nearest prefiltered offers are judged, as findCandidates does; default its 300. */
  judge?: number;
  /**
   * Counting only: each need stops at this many fits (1: whether any fits,
   * coverage; triage's "20+"), judged in any order; `cut` says which stopped.
   */
  stopAt?: number;
}

export interface Pair {
  needId: string;
  offerId: string;
  fit: Fit;
}

export interface Pairs {
  /** Every post asked about that exists, by id (with `upcoming`: its schedule as the pairs were judged on). */
  rows: Map<string, PostRow>;
  /** Per need, best first (score, then distance), as findCandidates ranks them. */
  byNeed: Map<string, Pair[]>;
  /** Matches each offer's author accepted in the last 7 days (the score's fairness term), by author. */
  accepts: Map<string, number>;
  /** Needs whose judging stopped at `stopAt` fits: more may fit. */
  cut: Set<string>;
}

type Row = PostRow & { upcoming: [number, number][]; active: boolean };

interface Side {
  row: Row;
  /** Which of its places decides, and that place. */
  place: Place;
  at: LatLng;
  /** The schedule in epoch s, as read, for the prefilter's overlap. */
  upcoming: [number, number][];
  /** For score.ts, made when first judged (most offers of a large set never are). */
  post?: MatchPost;
}

function matchPostOf(s: Side): MatchPost {
  s.post ??= matchPost(s.row, intervals(s.upcoming), zoneOf(s.row), s.place);
  return s.post;
}

/**
 * The pairs of `needIds` × `offerIds` that fit, by findCandidates' rules, as
 * one set: for each need the offers findCandidates (with `among: offerIds`)
 * would return, in its order (ties, which its KNN leaves in no set order, by id).
 */
export async function fittingPairs(db: Executor, q: PairsQuery): Promise<Pairs> {
  const ids = [...new Set([...q.needIds, ...q.offerIds])];
  const byNeed = new Map<string, Pair[]>(q.needIds.map((id) => [id, []]));
  if (q.needIds.length === 0 || q.offerIds.length === 0) {
    return { rows: await readRows(db, ids, q.now), byNeed, accepts: new Map(), cut: new Set() };
  }
  const rows = await readRows(db, ids, q.now);
  const side = (id: string, place: (row: PostRow) => Place): Side | null => {
    const row = rows.get(id) as Row | undefined;
    if (!row) {
      return null;
    }
    const which = place(row);
    return { row, place: which, at: which === 'exact' ? row.location : row.publicLocation, upcoming: row.upcoming };
  };
  const nowMs = q.now.getTime();
  const needs = q.needIds.map((id) => side(id, q.place.need)).filter((s): s is Side => s !== null && s.row.kind === 'need');
  // Offers as the prefilter admits them: open, not run out, by an account not suspended.
  const offers = q.offerIds
    .map((id) => side(id, q.place.offer))
    .filter((s): s is Side => s !== null && s.row.kind === 'offer' && s.row.status === 'open' && (s.row.endsAt === null || s.row.endsAt.getTime() > nowMs) && s.row.active);
  const authors = [...new Set([...needs, ...offers].map((s) => s.row.authorId))];
  const [blocked, accepts] = await Promise.all([
    blocksAmong(db, q.notBlockedWith ? [...authors, q.notBlockedWith] : authors),
    acceptsOf(db, [...new Set(offers.map((o) => o.row.authorId))], new Date(nowMs - FAIRNESS_WINDOW_MS)),
  ]);
  const isBlocked = (a: string, b: string) => blocked.size > 0 && (blocked.has(`${a}:${b}`) || blocked.has(`${b}:${a}`));

  // Offers by category, sorted by latitude: a need reads the band of latitudes its reach can span.
  const byCategory = new Map<string, Side[]>();
  for (const o of offers) {
    if (q.notBlockedWith && isBlocked(q.notBlockedWith, o.row.authorId)) {
      continue;
    }
    const list = byCategory.get(o.row.category) ?? [];
    list.push(o);
    byCategory.set(o.row.category, list);
  }
  const widest = new Map<string, number>();
  for (const [category, list] of byCategory) {
    list.sort((a, b) => a.at.lat - b.at.lat);
    widest.set(category, list.reduce((m, o) => Math.max(m, o.row.radiusM), 0));
  }

  // The prefilter, need by need: every offer findCandidates' SQL would admit, with its distance.
  interface Near {
    offer: Side;
    d: number;
    /** Within 1 % of reach: the database's ST_DWithin decides. */
    edge: boolean;
  }
  const near = new Map<string, Near[]>();
  const edges: { need: Side; offer: Side; reach: number }[] = [];
  for (const n of needs) {
    const list = byCategory.get(n.row.category);
    const found: Near[] = [];
    near.set(n.row.id, found);
    if (!list) {
      continue;
    }
    const mine = n.row.category === 'tutoring' ? modeOf(n.row.details) : null;
    // Remote tutoring ignores distance: then every offer of the category is a candidate.
    const anywhere = mine === 'remote' || mine === 'either';
    const bound = Math.max(n.row.radiusM, widest.get(n.row.category)!) * (1 + SPHEROID_SLACK);
    // Haversine distance is at least the arc of the latitudes' difference: R × Δφ.
    const dLat = (bound / EARTH_RADIUS_M) * (180 / Math.PI);
    const from = anywhere ? 0 : lowerBound(list, n.at.lat - dLat);
    for (let i = from; i < list.length; i++) {
      const o = list[i]!;
      if (!anywhere && o.at.lat > n.at.lat + dLat) {
        break;
      }
      // The schedules meet (the SQL's `schedule && ranges`), capacity, someone else's, no block between them.
      if (o.row.capacityLeft < n.row.capacity || o.row.authorId === n.row.authorId || !meets(n.upcoming, o.upcoming) || isBlocked(n.row.authorId, o.row.authorId)) {
        continue;
      }
      const d = distanceM(n.at, o.at);
      const reach = Math.max(n.row.radiusM, o.row.radiusM);
      let remote = false;
      if (mine !== null) {
        const theirs = typeof o.row.details.mode === 'string' ? o.row.details.mode : 'either';
        remote = mine === 'remote' ? theirs !== 'in_person' : mine === 'either' ? theirs === 'remote' : false;
      }
      if (!remote && d > reach * (1 + SPHEROID_SLACK)) {
        continue;
      }
      const edge = !remote && d > reach * (1 - SPHEROID_SLACK);
      found.push({ offer: o, d, edge });
      if (edge) {
        edges.push({ need: n, offer: o, reach });
      }
    }
  }
  const outside = await outsideReach(db, edges);

  const judge = q.judge ?? PREFILTER_LIMIT;
  const cut = new Set<string>();
  for (const n of needs) {
    const admitted = near.get(n.row.id)!.filter((x) => !(x.edge && outside.has(`${n.row.id}:${x.offer.row.id}`)));
    // The nearest first, as the KNN reads them; only the nearest `judge` are judged
    // (any order will do when all are, and fits are only counted).
    if (q.stopAt === undefined || admitted.length > judge) {
      admitted.sort((a, b) => a.d - b.d || (a.offer.row.id < b.offer.row.id ? -1 : 1));
    }
    const ranked: Pair[] = [];
    const judged = Math.min(judge, admitted.length);
    for (let i = 0; i < judged; i++) {
      const offer = admitted[i]!.offer;
      const fit = evaluatePair(matchPostOf(n), matchPostOf(offer), { now: q.now, viewer: 'need', helperRecentAccepts: accepts.get(offer.row.authorId) ?? 0, explain: false });
      if (fit) {
        ranked.push({ needId: n.row.id, offerId: offer.row.id, fit });
        if (ranked.length === q.stopAt) {
          if (i + 1 < judged) {
            cut.add(n.row.id);
          }
          break;
        }
      }
    }
    // Ties (the same score and distance: two offers of one place) by id, so a plan is the same every time.
    ranked.sort((a, b) => b.fit.score - a.fit.score || a.fit.distanceM - b.fit.distanceM || (a.offerId < b.offerId ? -1 : 1));
    byNeed.set(n.row.id, q.keep === undefined ? ranked : ranked.slice(0, q.keep));
  }
  return { rows, byNeed, accepts, cut };
}

/** The first index whose latitude is at least `lat` (the list sorted by latitude). */
function lowerBound(list: Side[], lat: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.at.lat < lat) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/** Whether two schedules (each sorted by start) share any instant. */
function meets(a: [number, number][], b: [number, number][]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [as, ae] = a[i]!;
    const [bs, be] = b[j]!;
    if (as < be && bs < ae) {
      return true;
    }
    if (ae <= be) {
      i++;
    } else {
      j++;
    }
  }
  return false;
}

const columns = { ...postColumns, authorName: users.displayName };

/** The posts with their upcoming windows (as findCandidates reads a candidate's) and whether their author's account is active. */
async function readRows(db: Executor, ids: string[], now: Date): Promise<Map<string, PostRow>> {
  if (ids.length === 0) {
    return new Map();
  }
  const rows = await db
    .select({
      ...columns,
      storedWindows: posts.storedWindows,
      active: sql<boolean>`${accountActive(sql`${posts.authorId}`)}`,
    })
    .from(posts)
    .innerJoin(users, sql`${users.id} = ${posts.authorId}`)
    .where(sql`${posts.id} = ANY(${uuidArray(ids)})`);
  return new Map(rows.map(({ storedWindows, ...r }) => [r.id, { ...r, upcoming: upcomingStored(storedWindows, r.recurrenceFromAt, now) } as Row]));
}

/** Blocks between any two of these people, as "blocker:blocked". */
async function blocksAmong(db: Executor, people: string[]): Promise<Set<string>> {
  const list = uuidArray(people);
  const rows = rowsOf<{ blocker_id: string; blocked_id: string }>(
    await db.execute(sql`SELECT blocker_id, blocked_id FROM blocks WHERE blocker_id = ANY(${list}) AND blocked_id = ANY(${list})`),
  );
  return new Set(rows.map((r) => `${r.blocker_id}:${r.blocked_id}`));
}

/** Matches each helper accepted since `since` (the fairness term of the score), as findCandidates counts them. */
async function acceptsOf(db: Executor, helpers: string[], since: Date): Promise<Map<string, number>> {
  if (helpers.length === 0) {
    return new Map();
  }
  const rows = rowsOf<{ helper_id: string; n: number }>(
    await db.execute(sql`SELECT helper_id, count(*)::int AS n FROM ${matches}
      WHERE helper_id = ANY(${uuidArray(helpers)}) AND status IN ('accepted', 'completed') AND accepted_at > ${since.toISOString()}::timestamptz
      GROUP BY helper_id`),
  );
  return new Map(rows.map((r) => [r.helper_id, Number(r.n)]));
}

/** Of these pairs near the edge of their reach, those ST_DWithin (on the spheroid, at the places that decide) puts outside it. */
async function outsideReach(db: Executor, edges: { need: Side; offer: Side; reach: number }[]): Promise<Set<string>> {
  if (edges.length === 0) {
    return new Set();
  }
  const exact = (s: Side) => (s.place === 'exact' ? 't' : 'f');
  const rows = rowsOf<{ need_id: string; offer_id: string }>(
    await db.execute(sql`
      SELECT q.n AS need_id, q.o AS offer_id
      FROM unnest(${uuidArray(edges.map((e) => e.need.row.id))}, ${uuidArray(edges.map((e) => e.offer.row.id))},
                  ${`{${edges.map((e) => exact(e.need)).join(',')}}`}::bool[], ${`{${edges.map((e) => exact(e.offer)).join(',')}}`}::bool[],
                  ${`{${edges.map((e) => e.reach).join(',')}}`}::int[]) AS q(n, o, ne, oe, reach)
      JOIN posts pn ON pn.id = q.n
      JOIN posts po ON po.id = q.o
      WHERE NOT ST_DWithin(CASE WHEN q.oe THEN po.location ELSE po.public_location END,
                           CASE WHEN q.ne THEN pn.location ELSE pn.public_location END, q.reach)`),
  );
  return new Set(rows.map((r) => `${r.need_id}:${r.offer_id}`));
}
