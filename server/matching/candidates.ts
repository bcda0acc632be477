import { and, eq, ne, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { type Executor, matches, postWindows, posts, users, uuidArray } from '../../db';
import type { StoredWindowList } from '../../db/json';
import { postColumns, type PostRow } from '../posts/repository';
import { buildSchedule, type Interval, upcomingStored } from '../posts/windows';
import { evaluatePair, type Fit, type MatchPost, modeOf } from './score';
import { PUBLIC_OFFSET_MAX_M } from '../geo/geo';
import { notBlocked, accountActive } from '../access';

/** At most this many nearby rows are scored per query; the nearest come first. */
export const PREFILTER_LIMIT = 300;
export const FAIRNESS_WINDOW_MS = 7 * 86_400_000;

export interface Candidate {
  row: PostRow;
  fit: Fit;
}

/** A post's true place, or its public point (150–400 m off, fixed per author and place). */
export type Place = 'exact' | 'public';

/**
 * Which place of each side a computation reads. The privacy invariant
 * (README, "Privacy"): whatever a viewer not entitled to a post's true place
 * can observe — whether it is a candidate, its rank, score, distance,
 * reasons, suggestions — is computed from its public point. So:
 * - a post's author asking for its candidates: their own post exact, every other post public;
 * - suggestions, which both sides of a pair are told of: both public;
 * - an organizer planning among members, entitled to every place: both exact.
 */
export interface Perspective {
  subject: Place;
  others: Place;
  /** Someone else the result is shown to (an organizer's triage): their blocks leave posts out too. */
  notBlockedWith?: string;
}

/** The author's view of their own post's candidates. */
export const AUTHOR_VIEW: Perspective = { subject: 'exact', others: 'public' };
/** What both parties of a pair are told (suggestions). */
export const PUBLIC_VIEW: Perspective = { subject: 'public', others: 'public' };
/** An organizer among the members they are entitled to see exactly. */
export const ENTITLED_VIEW: Perspective = { subject: 'exact', others: 'exact' };

/** The zone a post's times are shown in: its rule's, else its first window's offset. */
export function zoneOf(row: Pick<PostRow, 'recurrence' | 'windows'>): string {
  const rule = row.recurrence;
  if (rule) {
    return rule.timezone;
  }
  const first = row.windows[0];
  return first ? (DateTime.fromISO(first.start, { setZone: true }).zoneName ?? 'UTC') : 'UTC';
}

/** A post for score.ts, its schedule expanded from the rule (one post; candidates read theirs from stored_windows). */
export function toMatchPost(row: PostRow, now: Date, place: Place): MatchPost {
  const schedule: Interval[] = buildSchedule(row.windows, row.recurrence, now).map((w) => ({
    start: new Date(w.start),
    end: new Date(w.end),
  }));
  return matchPost(row, schedule, zoneOf(row), place);
}

export function matchPost(row: PostRow, schedule: Interval[], zone: string, place: Place): MatchPost {
  return {
    id: row.id,
    kind: row.kind,
    category: row.category,
    authorId: row.authorId,
    location: place === 'exact' ? row.location : row.publicLocation,
    radiusM: row.radiusM,
    capacity: row.capacity,
    capacityLeft: row.capacityLeft,
    details: row.details,
    destination: place === 'exact' ? row.destination : row.publicDestination,
    createdAt: row.createdAt,
    schedule,
    zone,
  };
}

const columns = { ...postColumns, authorName: users.displayName };

export function intervals(windows: [number, number][] | null): Interval[] {
  return (windows ?? []).map(([start, end]) => ({ start: new Date(Math.round(start * 1000)), end: new Date(Math.round(end * 1000)) }));
}

interface NearbyRow extends PostRow {
  storedWindows: StoredWindowList;
  /** Matches the row's author accepted in the last 7 days (asked for offers only). */
  accepts: number | null;
}

/** Two public points are at most this far from their true places together (each is 150–400 m off). */
const PUBLIC_SLACK_M = 2 * PUBLIC_OFFSET_MAX_M;

/**
 * Posts of the opposite kind that may fit `subject`, nearest first, narrowed
 * by posts_match_gix (category, kind, public point, schedule, week_hours) over open posts:
 * same category, someone else's, enough capacity, within reach (or remote
 * tutoring), and a schedule meeting the subject's upcoming windows. Each
 * row carries its stored windows (judged picks the upcoming ones) and, for
 * offers, its author's recent accepts. The category rules and the exact overlap are decided in score.ts.
 */
async function nearbyCandidates(
  db: Executor,
  subject: PostRow,
  now: Date,
  view: Perspective,
  among?: string[],
  prefilter = PREFILTER_LIMIT,
): Promise<NearbyRow[]> {
  const other = subject.kind === 'need' ? 'offer' : 'need';
  const nowTs = sql`${now.toISOString()}::timestamptz`;
  const point = view.subject === 'exact' ? subject.location : subject.publicLocation;
  const here = sql`ST_SetSRID(ST_MakePoint(${point.lng}::float8, ${point.lat}::float8), 4326)::geography`;
  // No pair reaches further than the larger of the subject's radius and the
  // largest radius among open posts it could meet (posts_open_radius_idx): the index bound.
  const bound = sql`GREATEST(${subject.radiusM}::int, (SELECT max(b.radius_m) FROM ${posts} b
    WHERE b.kind = ${other} AND b.category = ${subject.category} AND b.status = 'open'))`;
  const pairReach = sql`GREATEST(${posts.radiusM}, ${subject.radiusM}::int)`;
  // The index holds public points. Read at their public points, the others
  // are within reach of them; read exactly (an entitled organizer), their
  // public points are within reach plus the offset of the two.
  const local =
    view.others === 'public'
      ? sql`(ST_DWithin(${posts.publicLocation}, ${here}, ${bound}) AND ST_DWithin(${posts.publicLocation}, ${here}, ${pairReach}))`
      : sql`(ST_DWithin(${posts.publicLocation}, ${here}, ${bound} + ${PUBLIC_SLACK_M}::int) AND ST_DWithin(${posts.location}, ${here}, ${pairReach}))`;
  let locality = local;
  if (subject.category === 'tutoring') {
    // Remote tutoring: both remote, or one remote and the other either; distance does not count.
    const mine = modeOf(subject.details);
    const theirs = sql`COALESCE(${posts.details}->>'mode', 'either')`;
    const remote =
      mine === 'remote'
        ? sql`${theirs} <> 'in_person'`
        : mine === 'either'
          ? sql`${theirs} = 'remote'`
          : sql`FALSE`;
    locality = sql`(${local} OR ${remote})`;
  }
  const capacity =
    subject.kind === 'need' ? sql`${posts.capacityLeft} >= ${subject.capacity}::int` : sql`${posts.capacity} <= ${subject.capacityLeft}::int`;
  const since = new Date(now.getTime() - FAIRNESS_WINDOW_MS).toISOString();
  const accepts =
    subject.kind === 'need'
      ? sql<number>`(SELECT count(*)::int FROM ${matches} m WHERE m.helper_id = ${posts.authorId}
          AND m.status IN ('accepted', 'completed') AND m.accepted_at > ${since}::timestamptz)`
      : sql<null>`NULL::int`;
  // The subject's upcoming windows, as the index's two time keys: the ranges, and the hours of the week.
  const upcoming = sql`sw.post_id = ${subject.id} AND upper(sw.during) > ${nowTs}`;
  const myRanges = sql`(SELECT range_agg(sw.during) FROM ${postWindows} sw WHERE ${upcoming})`;
  const myHours = sql`(SELECT array_agg(h) FROM ${postWindows} sw, unnest(week_hours(sw.during)) h WHERE ${upcoming})`;
  return db
    .select({
      ...columns,
      storedWindows: posts.storedWindows,
      accepts,
    })
    .from(posts)
    .innerJoin(users, eq(users.id, posts.authorId))
    .where(
      and(
        sql`${posts.category} = ${subject.category}`,
        sql`${posts.kind} = ${other}`,
        sql`${posts.status} = 'open'`,
        sql`(${posts.endsAt} IS NULL OR ${posts.endsAt} > ${nowTs})`,
        ne(posts.authorId, subject.authorId),
        notBlocked(subject.authorId, sql`${posts.authorId}`),
        // Counted for an organizer (triage): nobody blocked either way with them either.
        view.notBlockedWith ? notBlocked(view.notBlockedWith, sql`${posts.authorId}`) : undefined,
        accountActive(sql`${posts.authorId}`),
        capacity,
        locality,
        sql`${posts.schedule} && ${myRanges}`,
        sql`${posts.weekHours} && ${myHours}`,
        among ? sql`${posts.id} = ANY(${uuidArray(among)})` : undefined,
      ),
    )
    .orderBy(view.others === 'public' ? sql`${posts.publicLocation} <-> ${here}` : sql`${posts.location} <-> ${here}`)
    .limit(prefilter);
}

/** The subject's own upcoming windows, the same way its candidates' are read. */
async function upcomingOf(db: Executor, post: PostRow, now: Date): Promise<Interval[]> {
  const [row] = await db.select({ storedWindows: posts.storedWindows }).from(posts).where(eq(posts.id, post.id));
  return intervals(upcomingStored(row?.storedWindows ?? [], post.recurrenceFromAt, now));
}

/**
 * Ranked candidates for a post, best first, as seen from `view` (whose
 * places are read exactly: see Perspective). Every prefiltered row is judged
 * and scored (rules, overlap, score: no text); only the `limit` shown get
 * their reasons, written in the reader's zone (options.zone) or else the subject's.
 */
export async function findCandidates(
  db: Executor,
  subject: PostRow,
  now: Date,
  limit: number,
  view: Perspective,
  /** `among`: only these posts (a plan's offers), so the nearest of them are found, not the city's. */
  /** `zone`: the reader's, which the reasons' times are written in (default: the subject's). */
  options: { reasons?: boolean; among?: string[]; zone?: string } = {},
): Promise<Candidate[]> {
  if (options.among?.length === 0) {
    return [];
  }
  const { ranked, mine } = await judged(db, subject, now, view, options.among, PREFILTER_LIMIT);
  const pairOf = (theirs: MatchPost): [MatchPost, MatchPost] => (subject.kind === 'need' ? [mine, theirs] : [theirs, mine]);
  ranked.sort((a, b) => b.fit.score - a.fit.score || a.fit.distanceM - b.fit.distanceM);
  // Reasons (text, per zone) only for those shown; counts and plans go without.
  const reasons = options.reasons ?? true;
  return ranked.slice(0, limit).map(({ row, theirs, fit }) => {
    const { storedWindows: _stored, accepts, ...post } = row;
    return { row: post, fit: reasons ? evaluatePair(...pairOf(theirs), { now, viewer: subject.kind, helperRecentAccepts: accepts ?? 0, zone: options.zone })! : fit };
  });
}

/**
 * How many posts could serve this one, counted among the nearest `cap`
 * that pass the SQL prefilter: `more` when there may be others beyond them.
 * Triage shows this for 200 needs at a time, so it reads a few rows each;
 * a need none of the nearest can serve is looked at in full, so "nobody can
 * serve this" is always exact.
 */
export async function countCandidates(db: Executor, subject: PostRow, now: Date, cap: number, view: Perspective): Promise<{ count: number; more: boolean }> {
  const near = await judged(db, subject, now, view, undefined, cap);
  if (near.ranked.length > 0 || near.read < cap) {
    return { count: near.ranked.length, more: near.read >= cap };
  }
  const all = await judged(db, subject, now, view, undefined, PREFILTER_LIMIT, near.mine);
  return { count: all.ranked.length, more: all.read >= PREFILTER_LIMIT };
}

/** Every prefiltered row judged by the matching rules (no text): those that fit, and how many rows were read. */
async function judged(db: Executor, subject: PostRow, now: Date, view: Perspective, among: string[] | undefined, prefilter: number, known?: MatchPost) {
  // The subject's own schedule is read once, alongside its candidates (a second pass passes it back in).
  const [mine, rows] = await Promise.all([
    known ?? upcomingOf(db, subject, now).then((schedule) => matchPost(subject, schedule, zoneOf(subject), view.subject)),
    nearbyCandidates(db, subject, now, view, among, prefilter),
  ]);
  const ranked: { row: NearbyRow; theirs: MatchPost; fit: Fit }[] = [];
  for (const row of rows) {
    // Reasons speak in the subject's zone, so a candidate's own is never read.
    const theirs = matchPost(row, intervals(upcomingStored(row.storedWindows, row.recurrenceFromAt, now)), 'UTC', view.others);
    const [need, offer] = subject.kind === 'need' ? [mine, theirs] : [theirs, mine];
    const fit = evaluatePair(need, offer, { now, viewer: subject.kind, helperRecentAccepts: row.accepts ?? 0, explain: false });
    if (fit) {
      ranked.push({ row, theirs, fit });
    }
  }
  return { ranked, mine, read: rows.length };
}
