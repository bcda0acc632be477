import { CATEGORIES, type DB, type Executor } from '../../db';
import type { SessionUser } from '../auth/repository';
import { applyOffset, derivedOffset, type LatLng, PUBLIC_OFFSET_MAX_M } from '../geo/geo';
import { conflict, forbidden, invalid, notFound, unauthorized } from '../http/problem';
import { decodeCursor, encodeCursor } from '../http/cursor';
import { randomUUID } from 'node:crypto';
import { Outbox, postCreatedSql } from '../live/outbox';
import { enforce, type Limit } from '../limits/counter';
import { type IdempotencyClaim, priorResource } from '../http/idempotency';
import { enqueue, enqueueSql } from '../queue/queue';
import { postSavedJob } from './followup';
import { type BBox, type NewPostRow, type PostRow, postsRepo } from './repository';
import { type PostInput, validatePost, withDefaults } from './validate';
import { expandRecurrence, horizonEnd, lastWindowEnd, type Recurrence, ruleStart, SCHEDULE_HORIZON_MS } from './windows';
import { requireRole } from '../access';
import { postChange } from './view';
import { bboxProblems } from '../contract/bbox';
import { type FieldError } from '../contract/problem';
import { type CreatePostBody, type ListPostsQuery, type PatchPostBody } from '../contract/posts';

/** The rule's occurrences are stored a week past the horizon, so extending is a weekly chore per post. */
const MATERIALIZE_MARGIN_MS = 7 * 24 * 3600 * 1000;

/** How far post_windows holds a rule's occurrences when written at `now`. */
function materializeUntil(rule: Recurrence, now: Date): Date {
  return new Date(horizonEnd(rule, now).getTime() + MATERIALIZE_MARGIN_MS);
}

/** The name of the secret public points are derived with (db `secrets`). */
export const LOCATION_KEY = 'public-location';

/** The public point of `point` as posted by `authorId`: see geo.derivedOffset for why it is derived. */
function publicPoint(locationKey: Uint8Array, authorId: string, point: LatLng): LatLng {
  return applyOffset(point, derivedOffset(locationKey, authorId, point));
}

/** The stored columns for a post's content: exact and public points, times and their bounds. */
function storedFields(input: PostInput, authorId: string, locationKey: Uint8Array, now: Date) {
  const { destination, ...details } = input.details as { destination?: LatLng } & Record<string, unknown>;
  const rule = input.recurrence ?? null;
  const windowsUntil = rule ? materializeUntil(rule, now) : null;
  return {
    fields: {
      kind: input.kind,
      category: input.category,
      title: input.title,
      description: input.description ?? null,
      location: input.location,
      publicLocation: publicPoint(locationKey, authorId, input.location),
      locationPrecisionM: PUBLIC_OFFSET_MAX_M,
      radiusM: input.radiusM,
      destination: destination ?? null,
      publicDestination: destination ? publicPoint(locationKey, authorId, destination) : null,
      capacity: input.capacity,
      details,
      windows: input.windows,
      recurrence: rule,
      endsAt: lastWindowEnd(input.windows, rule),
      recurrenceFromAt: rule ? ruleStart(rule) : null,
      windowsUntil,
    } satisfies Partial<NewPostRow>,
    oneOffs: input.windows.map((w) => ({ start: new Date(w.start), end: new Date(w.end) })),
    occurrences: rule && windowsUntil ? expandRecurrence(rule, { start: now, end: windowsUntil }) : [],
  };
}

/**
 * A JSON value with its objects' keys in jsonb's order (shorter first, then
 * by their bytes), as a jsonb column gives it back: what the author is
 * answered is what a read of the post gives.
 */
function jsonbOrdered<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map((v: unknown) => jsonbOrdered(v)) as T;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return Object.fromEntries(keys.map((k) => [k, jsonbOrdered((value as Record<string, unknown>)[k])])) as T;
  }
  return value;
}

/** The post's fields as its author gave them (exact points), the base an edit applies to. */
function inputOf(row: PostRow): PostInput {
  return {
    kind: row.kind,
    category: row.category,
    title: row.title,
    description: row.description ?? undefined,
    location: row.location,
    radiusM: row.radiusM,
    windows: row.windows as PostInput['windows'],
    recurrence: row.recurrence ?? undefined,
    capacity: row.capacity,
    details: { ...row.details, ...(row.destination ? { destination: row.destination } : {}) },
  };
}

/** What a write needs besides its input: the clock and the key public points are derived with. */
export interface WriteContext {
  now: Date;
  locationKey: Uint8Array;
  /** The request's Idempotency-Key, recorded with the post it makes. */
  idempotency?: IdempotencyClaim | undefined;
}

/** A post made (as stored), or the id of the one an earlier request with the same Idempotency-Key made. */
export type Created = { row: PostRow } | { replayed: string };

/**
 * Makes a post in one statement (postsRepo.create): the post, its windows,
 * its live event and its follow-up job (suggestions, alerts: run after the
 * reply), with the Idempotency-Key's claim. A retry of a post already made
 * answers with that one; the same key with another body is 422.
 */
export async function createPost(db: DB, author: SessionUser, body: CreatePostBody, { now, locationKey, idempotency }: WriteContext): Promise<Created> {
  const input = withDefaults(body);
  const errors = validatePost(input, now, true);
  if (errors.length > 0) {
    // A retry is answered by what its key made (or refused, the key being another body's) before its body is judged again.
    const prior = idempotency ? await priorResource(db, idempotency) : null;
    if (prior) {
      return { replayed: prior };
    }
    throw invalid(errors);
  }
  // Public points are computed once here and stored: every read shows the
  // same one, so repeated reads cannot be averaged back to the address.
  const { fields, oneOffs, occurrences } = storedFields(input, author.id, locationKey, now);
  // The post as its statement writes it and a read would give it back (jsonb keeps keys in its own order).
  const row: PostRow = {
    ...fields,
    id: randomUUID(),
    authorId: author.id,
    authorName: author.displayName,
    details: jsonbOrdered(fields.details),
    windows: jsonbOrdered(fields.windows),
    recurrence: fields.recurrence ? jsonbOrdered(fields.recurrence) : null,
    capacityLeft: input.capacity,
    status: 'open',
    hiddenAt: null,
    hiddenBy: null,
    stillNeededAskedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  for (let attempt = 0; ; attempt++) {
    const made = await postsRepo.create(db, row, oneOffs, occurrences, {
      claim: idempotency,
      after: [
        (when) => enqueueSql(now, [postSavedJob(row.id, true)], when),
        (when) => postCreatedSql(postChange(row, null, now), now, row.location, when),
      ],
    });
    if (made) {
      return { row };
    }
    // The key was taken: by an earlier request, or a twin that committed first. A twin that rolled back left it free: again.
    const prior = await priorResource(db, idempotency!);
    if (prior) {
      return { replayed: prior };
    }
    if (attempt >= 2) {
      throw new Error('an Idempotency-Key was neither free nor held');
    }
  }
}

/** The post for its author to change: 404, 403 and 409 (closed) otherwise. */
async function ownPostForUpdate(tx: Executor, id: string, user: SessionUser): Promise<PostRow> {
  const row = await postsRepo.find(tx, id, { forUpdate: true });
  if (!row) {
    throw notFound('There is no post with this id.', 'post.not_found');
  }
  if (row.authorId !== user.id) {
    throw forbidden('Only the author of this post can change it.', 'post.not_author');
  }
  return row;
}

export async function updatePost(
  db: DB,
  user: SessionUser,
  id: string,
  patch: PatchPostBody,
  { now, locationKey }: WriteContext,
): Promise<PostRow> {
  return db.transaction(async (tx) => {
    const row = await ownPostForUpdate(tx, id, user);
    if (row.status === 'cancelled' || row.status === 'fulfilled') {
      throw conflict(`This post is ${row.status}; it can no longer be edited.`, 'post.closed');
    }
    if (patch.kind !== undefined && patch.kind !== row.kind) {
      throw invalid([{ path: '/kind', message: 'cannot be changed; cancel this post and make a new one', code: 'kind.fixed' }]);
    }
    const current = inputOf(row);
    const merged: PostInput = {
      ...current,
      ...definedFields(patch),
      description: patch.description === null ? undefined : (patch.description ?? current.description),
      recurrence: patch.recurrence === null ? undefined : (patch.recurrence ?? current.recurrence),
      // Details belong to a category: a new category starts from none.
      details: patch.details ?? (patch.category && patch.category !== row.category ? {} : current.details),
    };
    const timesChanged = patch.windows !== undefined || patch.recurrence !== undefined;
    const errors = validatePost(merged, now, timesChanged);
    if (errors.length > 0) {
      throw invalid(errors);
    }
    const taken = row.capacity - row.capacityLeft;
    if (merged.capacity < taken) {
      throw conflict(`${taken} of this post's capacity is already promised; capacity cannot go below that.`, [
        { path: '/capacity', message: `must be at least ${taken}`, code: 'capacity.promised', limit: taken },
      ], 'capacity.promised');
    }
    if (moved(row, merged)) {
      // Each placement is a probe an attacker could make around a neighbour; few are ever needed honestly.
      await enforce(tx, MOVES_PER_POST, row.id, now, 'This post has been moved too often lately.');
      await enforce(tx, MOVES_PER_AUTHOR, row.authorId, now, 'You have moved your posts too often lately.');
    }
    const { fields, oneOffs, occurrences } = storedFields(merged, row.authorId, locationKey, now);
    // New times: "still needed?" is asked again a day before the new first window.
    await postsRepo.update(tx, id, { ...fields, capacityLeft: merged.capacity - taken, updatedAt: now, ...(timesChanged ? { stillNeededAskedAt: null } : {}) });
    await postsRepo.replaceWindows(tx, id, oneOffs, occurrences);
    const after = (await postsRepo.find(tx, id))!;
    // Its suggestions are made again after the reply (followup.ts).
    await enqueue(tx, now, [postSavedJob(id, false)]);
    const events = new Outbox(now);
    events.post(postChange(after, row, now));
    await events.flush(tx);
    return after;
  });
}

/** How often a post's place (or a ride's destination) may change. */
export const MOVES_PER_POST: Limit = { name: 'post.move', max: 4, windowMs: 3_600_000 };
export const MOVES_PER_AUTHOR: Limit = { name: 'post.move.author', max: 20, windowMs: 3_600_000 };

const samePoint = (a: LatLng | null | undefined, b: LatLng | null | undefined) => (a ?? null) === (b ?? null) || (!!a && !!b && a.lat === b.lat && a.lng === b.lng);

/** Whether an edit changes where the post is (its point or its destination). */
function moved(row: PostRow, merged: PostInput): boolean {
  const destination = (merged.details as { destination?: LatLng }).destination;
  return !samePoint(row.location, merged.location) || !samePoint(row.destination, destination);
}

function definedFields(patch: PatchPostBody): Partial<PostInput> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined && value !== null && key !== 'description' && key !== 'recurrence' && key !== 'details') {
      out[key] = value;
    }
  }
  return out as Partial<PostInput>;
}

export async function getPost(db: DB, id: string): Promise<PostRow> {
  const row = await postsRepo.find(db, id);
  if (!row) {
    throw notFound('There is no post with this id.', 'post.not_found');
  }
  return row;
}

// ---- listing ----

export function parseBBox(text: string): BBox {
  const parts = text.split(',');
  const numbers = parts.map((p) => (p.trim() === '' ? Number.NaN : Number(p)));
  if (parts.length !== 4 || numbers.some((n) => !Number.isFinite(n))) {
    throw invalid([{ path: '/bbox', message: 'must be four numbers west,south,east,north, like "-74.0,40.6,-73.9,40.7"' }], 'query string');
  }
  const [west, south, east, north] = numbers as [number, number, number, number];
  const errors: FieldError[] = bboxProblems(west, south, east, north).map((message) => ({ path: '/bbox', message }));
  if (errors.length > 0) {
    throw invalid(errors, 'query string');
  }
  return { west, south, east, north };
}

export function parseCategories(text: string): string[] {
  const names = [...new Set(text.split(',').map((c) => c.trim()).filter((c) => c !== ''))];
  const unknown = names.filter((c) => !(CATEGORIES as readonly string[]).includes(c));
  if (unknown.length > 0 || names.length === 0) {
    throw invalid(
      [{ path: '/category', message: `${unknown.map((c) => `"${c}"`).join(', ') || 'nothing'} is not a category; use one or more of: ${CATEGORIES.join(', ')}` }],
      'query string',
    );
  }
  return names;
}

export async function listPosts(db: DB, query: ListPostsQuery, now: Date, viewerId?: string) {
  const from = query.from ? new Date(query.from) : undefined;
  const to = query.to ? new Date(query.to) : undefined;
  if (from && to && !(to > from)) {
    throw invalid([{ path: '/to', message: 'must be after from', code: 'range.end_before_start' }], 'query string');
  }
  const limit = query.limit ?? 50;
  if (query.community) {
    // The map filtered to a community is its members' (it tells which side of its boundary a post's true place is).
    if (!viewerId) {
      throw unauthorized('Sign in, and join this community, to filter the map to it.', 'sign_in');
    }
    await requireRole(db, query.community, { id: viewerId }, 'member');
  }
  const rows = await postsRepo.list(db, {
    communityId: query.community,
    bbox: parseBBox(query.bbox),
    kind: query.kind,
    categories: query.category !== undefined ? parseCategories(query.category) : undefined,
    from,
    to,
    limit,
    after: query.cursor ? decodeCursor(query.cursor) : undefined,
    now,
    viewerId,
  });
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null };
}

// ---- keeping the materialized schedule ahead of the clock ----

/**
 * Extends the stored occurrences of weekly rules so overlap queries see
 * the same 8-week horizon as `schedule`, and drops windows long past.
 * Safe to run from several processes at once (rows are locked, skipped).
 */
export async function extendSchedules(db: DB, now: Date, batch = 500): Promise<number> {
  let extended = 0;
  // Due once the stored occurrences fall short of the horizon: max(now, from) + 8 weeks ≥ now + 8 weeks.
  const due = new Date(now.getTime() + SCHEDULE_HORIZON_MS);
  for (;;) {
    const count = await db.transaction(async (tx) => {
      const rows = await postsRepo.dueForExtension(tx, due, batch);
      for (const row of rows) {
        const rule = row.recurrence!;
        const until = materializeUntil(rule, now);
        const occurrences = expandRecurrence(rule, { start: row.windowsUntil ?? now, end: until });
        await postsRepo.addWindows(tx, row.id, occurrences, true);
        await postsRepo.update(tx, row.id, { windowsUntil: until });
      }
      return rows.length;
    });
    extended += count;
    if (count < batch) {
      break;
    }
  }
  const cutoff = new Date(now.getTime() - 24 * 3600 * 1000);
  while ((await postsRepo.pruneWindows(db, cutoff, batch * 10)) === batch * 10) {
    // more to drop
  }
  return extended;
}
