import { type LatLng, roundLatLng } from '../geo/geo';
import type { PostRow } from './repository';
import { buildSchedule } from './windows';
import { type PostChange } from '../live/outbox';
import { type Post } from '../contract/posts';
import { type PostEventType } from '../contract/live';

/** Who is looking at a post; decides exact or public location. */
export interface Viewer {
  id: string;
}

/**
 * Whether this viewer may see the exact points as the author. Others who may
 * (the other party of an accepted match, the organizers of the post's
 * community when its author is a member) are established by the caller and
 * passed to postView as `entitled`.
 */
export function seesExact(row: PostRow, viewer: Viewer | null): boolean {
  return viewer !== null && viewer.id === row.authorId;
}

/** `open` posts whose schedule has run out read as `expired`; posts an organizer hid read as `hidden`. */
export function statusAt(row: Pick<PostRow, 'status' | 'endsAt'> & { hiddenAt?: Date | null }, now: Date): Post['status'] {
  if (row.hiddenAt) {
    return 'hidden';
  }
  return row.status === 'open' && row.endsAt !== null && row.endsAt <= now ? 'expired' : row.status;
}

/**
 * A post as this viewer may see it. Non-entitled viewers get only the stored
 * public points; the exact ones never leave this function for them.
 */
export function postView(row: PostRow, viewer: Viewer | null, now: Date, entitled = false): Post {
  // `entitled`: the caller established a right to the exact points (the other party of an accepted match, an organizer).
  const exact = entitled || seesExact(row, viewer);
  const details: Record<string, unknown> = { ...row.details };
  const destination = exact ? row.destination : row.publicDestination;
  if (destination) {
    details.destination = roundLatLng(destination);
  }
  const windows = row.windows;
  const recurrence = row.recurrence ?? undefined;
  return {
    id: row.id,
    kind: row.kind,
    category: row.category,
    title: row.title,
    ...(row.description !== null ? { description: row.description } : {}),
    location: roundLatLng((exact ? row.location : row.publicLocation) as LatLng),
    locationPrecisionM: exact ? 0 : row.locationPrecisionM,
    radiusM: row.radiusM,
    windows,
    ...(recurrence ? { recurrence } : {}),
    schedule: buildSchedule(windows, recurrence, now),
    capacity: row.capacity,
    capacityLeft: row.capacityLeft,
    details,
    status: statusAt(row, now),
    author: { id: row.authorId, displayName: row.authorName },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * A post's change as its live event carries it (`before` is the row as it
 * was, null when new): closed when it stops being open; the public point it
 * moved from, so maps showing the old place drop it.
 */
export function postChange(after: PostRow, before: PostRow | null, now: Date): PostChange {
  const type: PostEventType = before === null ? 'post.created' : before.status === 'open' && after.status !== 'open' ? 'post.closed' : 'post.updated';
  const moved = before !== null && (before.publicLocation.lat !== after.publicLocation.lat || before.publicLocation.lng !== after.publicLocation.lng);
  return {
    id: after.id,
    type,
    at: after.publicLocation,
    movedFrom: moved ? before.publicLocation : null,
    kind: after.kind,
    category: after.category,
    authorId: after.authorId,
    title: after.title,
    publicView: postView(after, null, now),
    authorView: postView(after, { id: after.authorId }, now),
  };
}
