import { and, asc, eq, getTableColumns, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { type Executor, idempotencyKeys, postWindows, posts, rowsOf, users } from '../../db';
import { type Interval, SCHEDULE_HORIZON_MS } from './windows';
import { notBlocked, homeCommunity, accountActive } from '../access';

/** A post as read: every column but those derived from post_windows (`schedule`, `weekHours`: index keys; `storedWindows`: read by candidates). */
export type PostRow = Omit<typeof posts.$inferSelect, 'schedule' | 'weekHours' | 'storedWindows'> & { authorName: string };
export type NewPostRow = Omit<typeof posts.$inferInsert, 'schedule' | 'weekHours' | 'storedWindows'>;

const { schedule: _schedule, weekHours: _weekHours, storedWindows: _storedWindows, ...postColumns } = getTableColumns(posts);
export { postColumns };
const columns = { ...postColumns, authorName: users.displayName };

export interface BBox {
  west: number;
  south: number;
  east: number;
  north: number;
}

export interface ListFilter {
  bbox: BBox;
  /** The signed-in viewer: posts of people they blocked, or who blocked them, are left out. */
  viewerId?: string | undefined;
  kind?: 'need' | 'offer' | undefined;
  categories?: string[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  after?: { createdAt: Date; id: string } | undefined;
  /** Only posts belonging to this community (the smallest holding their place). */
  communityId?: string | undefined;
  now: Date;
}

const horizonHours = SCHEDULE_HORIZON_MS / 3_600_000;

/** The public point inside a lat/lng box; a box whose west edge is east of its east edge crosses the antimeridian. */
function inBox(b: BBox): SQL {
  const envelope = (w: number, e: number) =>
    sql`(${posts.publicLocation}::geometry && ST_MakeEnvelope(${w}, ${b.south}, ${e}, ${b.north}, 4326))`;
  return b.west <= b.east ? envelope(b.west, b.east) : sql`(${envelope(b.west, 180)} OR ${envelope(-180, b.east)})`;
}

/** Open and not run out at `now`, by an account not suspended platform-wide. */
function isOpen(now: Date): SQL {
  return sql`${posts.status} = 'open' AND (${posts.endsAt} IS NULL OR ${posts.endsAt} > ${now.toISOString()}::timestamptz) AND ${accountActive(sql`${posts.authorId}`)}`;
}

/**
 * A row `w` of post_windows is part of the post's schedule at `now`: not
 * over, and, for an occurrence of the weekly rule, inside the 8-week horizon
 * from max(now, the rule's start) — the set buildSchedule gives
 * (upcomingStored, windows.ts, is the same test on posts.stored_windows).
 */
export function upcomingWindow(recurrenceFromAt: SQL, now: SQL): SQL {
  return sql`upper(w.during) > ${now}
    AND (NOT w.recurring OR lower(w.during) < GREATEST(${now}, COALESCE(${recurrenceFromAt}, ${now})) + make_interval(hours => ${horizonHours}))`;
}

/**
 * Has an upcoming schedule window overlapping [from, to). Occurrences of the
 * weekly rule count only inside the post's 8-week horizon, as in `schedule`.
 */
function scheduledWithin(from: Date | undefined, to: Date | undefined, now: Date): SQL {
  const nowTs = sql`${now.toISOString()}::timestamptz`;
  const range = sql`tstzrange(${from?.toISOString() ?? null}::timestamptz, ${to?.toISOString() ?? null}::timestamptz, '[)')`;
  return sql`EXISTS (SELECT 1 FROM ${postWindows} w
    WHERE w.post_id = ${posts.id} AND w.during && ${range} AND ${upcomingWindow(sql`${posts.recurrenceFromAt}`, nowTs)})`;
}

async function insertWindows(db: Executor, postId: string, intervals: Interval[], recurring: boolean): Promise<void> {
  if (intervals.length > 0) {
    await db
      .insert(postWindows)
      .values(intervals.map((during) => ({ postId, during, recurring })))
      .onConflictDoNothing();
  }
}

/** posts.stored_windows from rows `w` (during, recurring) of one post's windows, each `during` once. */
function storedWindowsOf(rows: SQL): SQL {
  return sql`COALESCE((SELECT json_agg(json_build_array(date_part('epoch', lower(w.during)), date_part('epoch', upper(w.during)), w.recurring) ORDER BY w.during)
    FROM ${rows}), '[]')`;
}

/**
 * posts.schedule := range_agg of the post's windows, week_hours := the
 * hours of the week they touch (the time keys of posts_match_gix), and
 * stored_windows := the windows themselves, after every change to them.
 * Pruning (below) leaves them alone: a window that ended can meet no
 * upcoming one, and the next extension rebuilds them.
 */
async function refreshSchedule(db: Executor, postId: string): Promise<void> {
  await db.execute(sql`
    UPDATE ${posts} SET
      schedule = COALESCE((SELECT range_agg(w.during) FROM ${postWindows} w WHERE w.post_id = ${postId}), '{}'),
      week_hours = COALESCE((SELECT uniq(sort(array_agg(h))) FROM ${postWindows} w, unnest(week_hours(w.during)) h WHERE w.post_id = ${postId}), '{}'),
      stored_windows = ${storedWindowsOf(sql`${postWindows} w WHERE w.post_id = ${postId}`)}
    WHERE id = ${postId}`);
}

/** What a new post's statement writes besides the post and its windows (postsRepo.create). */
export interface CreateAlso {
  /** The request's Idempotency-Key: the post is written only if this claim is new. */
  claim?: { userId: string; key: string; scope: string; fingerprint: string } | undefined;
  /** Data-modifying statements written only with the post (`made` is SQL true when it is), run after it in this order: its jobs, then its live event. */
  after: ((made: SQL) => SQL)[];
}

export const postsRepo = {
  async insert(db: Executor, row: NewPostRow): Promise<string> {
    const [inserted] = await db.insert(posts).values(row).returning({ id: posts.id });
    return inserted!.id;
  },

  /**
   * Writes a new post in one statement (one round trip, its own
   * transaction): the Idempotency-Key's claim, the post with its schedule
   * keys, its windows, and `also.after` (its follow-up job, its live event).
   * A claim already held (a retry, or a twin that committed first) writes
   * nothing: returns false. `row.id` is the new post's id.
   */
  async create(db: Executor, row: NewPostRow & { id: string }, oneOffs: Interval[], occurrences: Interval[], also: CreateAlso): Promise<boolean> {
    // One-offs first: an occurrence at the same time adds nothing (post_windows_post_during_key), as replaceWindows has it.
    const windows = JSON.stringify([
      ...oneOffs.map((w) => ({ s: w.start.toISOString(), e: w.end.toISOString(), r: false })),
      ...occurrences.map((w) => ({ s: w.start.toISOString(), e: w.end.toISOString(), r: true })),
    ]);
    const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
    const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
    const point = (p: { lat: number; lng: number } | null | undefined) =>
      p ? sql`ST_SetSRID(ST_MakePoint(${p.lng}::float8, ${p.lat}::float8), 4326)::geography` : sql`NULL::geography`;
    const claim = also.claim;
    // Each part runs when a later one reads it: the claim, then the post, its windows, and last what comes after.
    const parts: SQL[] = [
      ...(claim
        ? [
            sql`claim AS (
              INSERT INTO ${idempotencyKeys} (user_id, key, scope, fingerprint, resource_id, created_at)
              VALUES (${claim.userId}::uuid, ${claim.key}, ${claim.scope}, ${claim.fingerprint}, ${row.id}::uuid, ${iso(row.createdAt)}::timestamptz)
              ON CONFLICT DO NOTHING RETURNING 1)`,
          ]
        : []),
      sql`given AS (
        SELECT tstzrange(x.s, x.e, '[)') AS during, x.r AS recurring
        FROM jsonb_to_recordset(${windows}::jsonb) AS x(s timestamptz, e timestamptz, r boolean))`,
      sql`p AS (
        INSERT INTO ${posts} (id, author_id, kind, category, title, description, location, public_location, location_precision_m, radius_m,
          destination, public_destination, capacity, capacity_left, details, windows, recurrence, ends_at, recurrence_from_at, windows_until,
          created_at, updated_at, schedule, week_hours, stored_windows)
        SELECT ${row.id}::uuid, ${row.authorId}::uuid, ${row.kind}::post_kind, ${row.category}::post_category, ${row.title}::text, ${row.description ?? null}::text,
          ${point(row.location)}, ${point(row.publicLocation)}, ${row.locationPrecisionM}::int, ${row.radiusM}::int,
          ${point(row.destination)}, ${point(row.publicDestination)}, ${row.capacity}::int, ${row.capacityLeft}::int,
          ${json(row.details ?? {})}::jsonb, ${json(row.windows ?? [])}::jsonb, ${json(row.recurrence)}::jsonb,
          ${iso(row.endsAt)}::timestamptz, ${iso(row.recurrenceFromAt)}::timestamptz, ${iso(row.windowsUntil)}::timestamptz,
          ${iso(row.createdAt)}::timestamptz, ${iso(row.updatedAt)}::timestamptz,
          -- The time keys of posts_match_gix, as refreshSchedule computes them from the windows.
          COALESCE((SELECT range_agg(during) FROM given), '{}'),
          COALESCE((SELECT uniq(sort(array_agg(h))) FROM given, unnest(week_hours(during)) h), '{}'),
          -- The windows as inserted below: a time given twice is written once, the one-off's.
          ${storedWindowsOf(sql`(SELECT DISTINCT ON (during) during, recurring FROM given ORDER BY during, recurring) w`)}
        ${claim ? sql`WHERE EXISTS (SELECT 1 FROM claim)` : sql``}
        RETURNING id)`,
      sql`w AS (
        INSERT INTO ${postWindows} (post_id, during, recurring)
        SELECT p.id, given.during, given.recurring FROM p, given
        ON CONFLICT DO NOTHING RETURNING 1)`,
      ...also.after.map((part, i) => sql`a${sql.raw(String(i))} AS (${part(sql`EXISTS (SELECT 1 FROM p)`)})`),
    ];
    const [result] = rowsOf<{ made: number | string }>(
      await db.execute(sql`
        WITH ${sql.join(parts, sql`,\n`)}
        SELECT (SELECT count(*) FROM p) AS made, (SELECT count(*) FROM w) AS windows
          ${sql.join(also.after.map((_, i) => sql`, (SELECT count(*) FROM a${sql.raw(String(i))}) AS a${sql.raw(String(i))}`), sql``)}`),
    );
    return Number(result!.made) === 1;
  },

  async find(db: Executor, id: string, options: { forUpdate?: boolean } = {}): Promise<PostRow | undefined> {
    const query = db.select(columns).from(posts).innerJoin(users, eq(users.id, posts.authorId)).where(eq(posts.id, id));
    const [row] = options.forUpdate ? await query.for('update', { of: posts }) : await query;
    return row;
  },

  /** One author's posts, newest first. */
  async byAuthor(db: Executor, authorId: string, limit: number): Promise<PostRow[]> {
    return db
      .select(columns)
      .from(posts)
      .innerJoin(users, eq(users.id, posts.authorId))
      .where(eq(posts.authorId, authorId))
      .orderBy(sql`${posts.createdAt} DESC`, sql`${posts.id} DESC`)
      .limit(limit);
  },

  /** One author's posts that are open now, whatever the author's account state (suspensions tell maps of them). */
  async openByAuthor(db: Executor, authorId: string, now: Date): Promise<PostRow[]> {
    return db
      .select(columns)
      .from(posts)
      .innerJoin(users, eq(users.id, posts.authorId))
      .where(and(eq(posts.authorId, authorId), sql`${posts.status} = 'open' AND (${posts.endsAt} IS NULL OR ${posts.endsAt} > ${now.toISOString()}::timestamptz)`));
  },

  async findMany(db: Executor, ids: string[]): Promise<Map<string, PostRow>> {
    if (ids.length === 0) {
      return new Map();
    }
    const rows = await db.select(columns).from(posts).innerJoin(users, eq(users.id, posts.authorId)).where(inArray(posts.id, ids));
    return new Map(rows.map((r) => [r.id, r]));
  },

  async update(db: Executor, id: string, values: Partial<NewPostRow>): Promise<void> {
    await db.update(posts).set(values).where(eq(posts.id, id));
  },

  /** Open posts whose public location lies in the box, newest first, one more than `limit` to tell a next page. */
  async list(db: Executor, f: ListFilter): Promise<PostRow[]> {
    const conditions: (SQL | undefined)[] = [isOpen(f.now), inBox(f.bbox)];
    if (f.viewerId) {
      conditions.push(notBlocked(f.viewerId, sql`${posts.authorId}`));
    }
    if (f.kind) {
      conditions.push(eq(posts.kind, f.kind));
    }
    if (f.categories && f.categories.length > 0) {
      conditions.push(inArray(posts.category, f.categories as (typeof posts.category.enumValues)[number][]));
    }
    if (f.from || f.to) {
      conditions.push(scheduledWithin(f.from, f.to, f.now));
    }
    if (f.communityId) {
      // By the public point, for everyone: a member's own community drawn around a place must not tell where a post truly is.
      conditions.push(sql`${homeCommunity(sql`${posts.publicLocation}`)} = ${f.communityId}`);
    }
    if (f.after) {
      conditions.push(
        or(
          lt(posts.createdAt, f.after.createdAt),
          and(eq(posts.createdAt, f.after.createdAt), lt(posts.id, f.after.id)),
        ),
      );
    }
    return db
      .select(columns)
      .from(posts)
      .innerJoin(users, eq(users.id, posts.authorId))
      .where(and(...conditions))
      .orderBy(sql`${posts.createdAt} DESC`, sql`${posts.id} DESC`)
      .limit(f.limit + 1);
  },

  /** Replaces a post's materialized schedule windows. */
  async replaceWindows(db: Executor, postId: string, oneOffs: Interval[], occurrences: Interval[]): Promise<void> {
    await db.delete(postWindows).where(eq(postWindows.postId, postId));
    await insertWindows(db, postId, oneOffs, false);
    await insertWindows(db, postId, occurrences, true);
    await refreshSchedule(db, postId);
  },

  async addWindows(db: Executor, postId: string, intervals: Interval[], recurring: boolean): Promise<void> {
    if (intervals.length > 0) {
      await insertWindows(db, postId, intervals, recurring);
      await refreshSchedule(db, postId);
    }
  },

  /** Recurring posts whose materialized windows end before `before`, locked for extending (others skip them). */
  async dueForExtension(db: Executor, before: Date, limit: number) {
    return db
      .select({ id: posts.id, recurrence: posts.recurrence, windowsUntil: posts.windowsUntil })
      .from(posts)
      .where(
        and(
          sql`${posts.recurrence} IS NOT NULL`,
          inArray(posts.status, ['open', 'matched']),
          lt(posts.windowsUntil, before),
          sql`(${posts.endsAt} IS NULL OR ${posts.endsAt} > ${posts.windowsUntil})`,
        ),
      )
      .orderBy(asc(posts.windowsUntil))
      .limit(limit)
      .for('update', { skipLocked: true });
  },

  /**
   * Drops up to `limit` windows that ended before `cutoff` (nothing reads
   * them); rows an edit holds are skipped, so this never waits on or
   * deadlocks with a write. Returns how many went.
   */
  async pruneWindows(db: Executor, cutoff: Date, limit: number): Promise<number> {
    const result = await db.execute(sql`
      DELETE FROM ${postWindows} WHERE ctid IN (
        SELECT ctid FROM ${postWindows}
        WHERE during << tstzrange(${cutoff.toISOString()}::timestamptz, NULL)
        LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING 1`);
    return rowsOf(result).length;
  },
};
