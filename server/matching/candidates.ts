import { and, eq, getTableColumns, gt, inArray, ne, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { type Executor, matches, posts, users } from '../../db';
import type { PostRow } from '../posts/repository';
import { buildSchedule, type Interval, type Recurrence, type Window } from '../posts/windows';
import { evaluatePair, type Fit, type MatchPost, modeOf } from './score';

/** At most this many nearby rows are scored per query; the nearest come first. */
const PREFILTER_LIMIT = 300;
/** The largest radius a post may have: the outer bound of any reach, for the index. */
const MAX_RADIUS_M = 50_000;

export interface Candidate {
  row: PostRow;
  fit: Fit;
}

/** The zone a post's times are shown in: its rule's, else its first window's offset. */
export function zoneOf(row: Pick<PostRow, 'recurrence' | 'windows'>): string {
  const rule = row.recurrence as Recurrence | null;
  if (rule) {
    return rule.timezone;
  }
  const first = (row.windows as Window[])[0];
  return first ? (DateTime.fromISO(first.start, { setZone: true }).zoneName ?? 'UTC') : 'UTC';
}

export function toMatchPost(row: PostRow, now: Date): MatchPost {
  const schedule: Interval[] = buildSchedule(row.windows as Window[], row.recurrence as Recurrence | null, now).map((w) => ({
    start: new Date(w.start),
    end: new Date(w.end),
  }));
  return {
    id: row.id,
    kind: row.kind,
    category: row.category,
    authorId: row.authorId,
    location: row.location,
    radiusM: row.radiusM,
    capacity: row.capacity,
    capacityLeft: row.capacityLeft,
    details: row.details as Record<string, unknown>,
    destination: row.destination,
    createdAt: row.createdAt,
    schedule,
    zone: zoneOf(row),
  };
}

const columns = { ...getTableColumns(posts), authorName: users.displayName };

/** Open, not run out, and not already served. */
function openAt(now: Date): SQL {
  return sql`${posts.status} = 'open' AND (${posts.endsAt} IS NULL OR ${posts.endsAt} > ${now.toISOString()}::timestamptz)`;
}

/**
 * Posts of the opposite kind that may fit `subject`, nearest first, narrowed
 * by the GiST indexes: same category, open, someone else's, enough capacity,
 * within reach (or remote tutoring), and some upcoming window overlapping.
 * The category rules and the exact overlap are decided in score.ts.
 */
async function nearbyCandidates(db: Executor, subject: PostRow, now: Date): Promise<PostRow[]> {
  const here = sql`(SELECT location FROM ${posts} WHERE id = ${subject.id})`;
  const nowTs = sql`${now.toISOString()}::timestamptz`;
  const local = sql`(ST_DWithin(${posts.location}, ${here}, ${MAX_RADIUS_M}) AND ST_DWithin(${posts.location}, ${here}, GREATEST(${posts.radiusM}, ${subject.radiusM})))`;
  let locality = local;
  if (subject.category === 'tutoring') {
    // Remote tutoring: both remote, or one remote and the other either; distance does not count.
    const mine = modeOf(subject.details as Record<string, unknown>);
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
    subject.kind === 'need' ? sql`${posts.capacityLeft} >= ${subject.capacity}` : sql`${posts.capacity} <= ${subject.capacityLeft}`;
  const overlapping = sql`EXISTS (
    SELECT 1 FROM post_windows cw JOIN post_windows sw ON sw.post_id = ${subject.id} AND cw.during && sw.during
    WHERE cw.post_id = ${posts.id} AND upper(cw.during) > ${nowTs} AND upper(sw.during) > ${nowTs})`;
  return db
    .select(columns)
    .from(posts)
    .innerJoin(users, eq(users.id, posts.authorId))
    .where(
      and(
        eq(posts.kind, subject.kind === 'need' ? 'offer' : 'need'),
        eq(posts.category, subject.category),
        ne(posts.authorId, subject.authorId),
        openAt(now),
        capacity,
        locality,
        overlapping,
      ),
    )
    .orderBy(sql`${posts.location} <-> ${here}`)
    .limit(PREFILTER_LIMIT);
}

/** Matches each helper accepted since `since` (for the fairness term). */
async function recentAccepts(db: Executor, helperIds: string[], since: Date): Promise<Map<string, number>> {
  if (helperIds.length === 0) {
    return new Map();
  }
  const rows = await db
    .select({ helperId: posts.authorId, n: sql<number>`count(*)::int` })
    .from(matches)
    .innerJoin(posts, eq(posts.id, matches.offerId))
    .where(and(inArray(posts.authorId, helperIds), inArray(matches.status, ['accepted', 'completed']), gt(matches.acceptedAt, since)))
    .groupBy(posts.authorId);
  return new Map(rows.map((r) => [r.helperId, Number(r.n)]));
}

/** Ranked candidates for a post, best first. */
export async function findCandidates(db: Executor, subject: PostRow, now: Date, limit: number): Promise<Candidate[]> {
  const rows = await nearbyCandidates(db, subject, now);
  const mine = toMatchPost(subject, now);
  const helpers = subject.kind === 'need' ? [...new Set(rows.map((r) => r.authorId))] : [];
  const accepts = await recentAccepts(db, helpers, new Date(now.getTime() - 7 * 86_400_000));
  const out: Candidate[] = [];
  for (const row of rows) {
    const theirs = toMatchPost(row, now);
    const [need, offer] = subject.kind === 'need' ? [mine, theirs] : [theirs, mine];
    const fit = evaluatePair(need, offer, {
      now,
      viewer: subject.kind,
      helperRecentAccepts: accepts.get(offer.authorId) ?? 0,
    });
    if (fit) {
      out.push({ row, fit });
    }
  }
  return out.sort((a, b) => b.fit.score - a.fit.score || a.fit.distanceM - b.fit.distanceM).slice(0, limit);
}
