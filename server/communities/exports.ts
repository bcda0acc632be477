// Exports for organizers: the community's members' posts (and their
// matches) as CSV and GeoJSON, with their exact places (joining is the
// consent); the file name says so when a file holds any. Non-members' posts
// are not in them at all, nor the posts of anyone who blocked the organizer
// or whom the organizer blocked.
import { DateTime } from 'luxon';
import type { DB } from '../../db';
import { roundLatLng } from '../geo/geo';
import { requireRole } from '../access';
import { communitiesRepo } from './repository';
import { organizingRepo } from './organizing-repository';
import { readerZone } from '../matching/reader-zone';

/** Posts of the last 90 days and every open one: what a group works from. */
const EXPORT_DAYS = 90;

export interface ExportRow {
  id: string;
  kind: string;
  category: string;
  title: string;
  status: string;
  authorId: string;
  authorName: string;
  authorIsMember: boolean;
  lat: number;
  lng: number;
  exact: boolean;
  precisionM: number;
  capacity: number;
  capacityLeft: number;
  nextStart: string | null;
  createdAt: string;
  matches: { id: string; status: string; needId: string | null; offerId: string | null; acceptedAt: string | null }[];
}

/** The most rows one file holds (posts of 90 days in one community; a city's would be a few thousand). */
export const EXPORT_MAX_ROWS = 100_000;
/** Rows read per query while a file streams: each page is one short statement. */
const EXPORT_PAGE_ROWS = 500;

export interface ExportPlan {
  slug: string;
  /** The posts the file will hold, in its order. */
  ids: string[];
  /** The IANA zone the file's times are written in. */
  zone: string;
}

/**
 * Which posts go in the file (one pass over the boundary), before a byte is
 * sent: the organizer check and any database trouble still answer as a
 * problem, and the file name can say whether the file holds exact places.
 */
export async function planExport(db: DB, actor: { id: string }, communityId: string, now: Date, tz?: string): Promise<ExportPlan> {
  await requireRole(db, communityId, actor, 'organizer');
  // The file's times are local: in the zone asked for, else the community's (whose days its organizers plan by).
  const community = await communitiesRepo.find(db, communityId);
  const zone = readerZone(tz, community!.timezone);
  const since = new Date(now.getTime() - EXPORT_DAYS * 86_400_000);
  const rows = await organizingRepo.exportPicks(db, actor.id, communityId, since, EXPORT_MAX_ROWS);
  return { slug: community!.slug, ids: rows.map((r) => r.id), zone };
}

/**
 * The planned posts with their matches, a page at a time. A post that
 * stopped being the organizer's business since the plan (its author left
 * or blocked them) is left out.
 */
export async function* exportPages(db: DB, actor: { id: string }, communityId: string, ids: string[], now: Date): AsyncGenerator<ExportRow[]> {
  for (let i = 0; i < ids.length; i += EXPORT_PAGE_ROWS) {
    yield await exportPage(db, actor, communityId, ids.slice(i, i + EXPORT_PAGE_ROWS), now);
  }
}

async function exportPage(db: DB, actor: { id: string }, communityId: string, ids: string[], now: Date): Promise<ExportRow[]> {
  const rows = await organizingRepo.exportRows(db, actor.id, communityId, ids, now);
  return rows.map((r) => {
    const point = roundLatLng({ lat: r.lat, lng: r.lng });
    return {
      id: r.id,
      kind: r.kind,
      category: r.category,
      title: r.title,
      status: r.hidden ? 'hidden' : r.status,
      authorId: r.authorId,
      authorName: r.authorName,
      // Every row is a member's post now; the columns stay so files keep their shape.
      authorIsMember: true,
      lat: point.lat,
      lng: point.lng,
      exact: true,
      precisionM: 0,
      capacity: r.capacity,
      capacityLeft: r.capacityLeft,
      nextStart: r.nextStart?.toISOString() ?? null,
      createdAt: r.createdAt.toISOString(),
      matches: r.matches.map((m) => ({ ...m, acceptedAt: m.acceptedAt ? new Date(m.acceptedAt).toISOString() : null })),
    };
  });
}

/** `aidmap-<slug>-posts-<date>[-SENSITIVE-exact-locations].<ext>`, the date today's in `zone` (the file's). */
export function exportFileName(slug: string, exact: boolean, now: Date, ext: 'csv' | 'geojson', zone: string): string {
  const sensitive = exact ? '-SENSITIVE-exact-locations' : '';
  return `aidmap-${slug}-posts-${DateTime.fromJSDate(now, { zone }).toISODate()}${sensitive}.${ext}`;
}

/** One CSV field (RFC 4180), and never a formula a spreadsheet would run (a leading =, +, -, @ is quoted away). */
function field(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s) && typeof value === 'string') {
    s = `'${s}`;
  }
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Times are written as the wall clock reads them in the file's zone,
 * "2026-12-08 09:00" (what a spreadsheet takes for a date and time, and what
 * an organizer plans by), and the last column names that zone on every row.
 * The column names stay the same whatever the zone, and the new column comes
 * last, so scripts reading columns by name or by position go on working.
 */
const CSV_HEADER = ['id', 'kind', 'category', 'title', 'status', 'author_id', 'author', 'author_is_member', 'lat', 'lng', 'exact_location', 'precision_m', 'capacity', 'capacity_left', 'next_start', 'created_at', 'matches', 'time_zone'];

/** "2026-12-08 09:00": an instant on the wall clock of `zone`. */
export function wallTime(iso: string | null, zone: string): string | null {
  return iso === null ? null : DateTime.fromISO(iso, { zone }).toFormat('yyyy-MM-dd HH:mm');
}

function csvLine(r: ExportRow, zone: string): string {
  const matches = r.matches.map((m) => `${m.id}:${m.status}`).join(' ');
  return [
    ...[r.id, r.kind, r.category, r.title, r.status, r.authorId, r.authorName, r.authorIsMember, r.lat, r.lng, r.exact, r.precisionM, r.capacity, r.capacityLeft],
    ...[wallTime(r.nextStart, zone), wallTime(r.createdAt, zone), matches, zone],
  ]
    .map(field)
    .join(',');
}

/** The CSV file (RFC 4180, CRLF), a page of rows per chunk, its times in `zone`. */
export async function* csvChunks(pages: AsyncIterable<ExportRow[]>, zone: string): AsyncGenerator<string> {
  yield `${CSV_HEADER.join(',')}\r\n`;
  for await (const rows of pages) {
    if (rows.length > 0) {
      yield `${rows.map((r) => csvLine(r, zone)).join('\r\n')}\r\n`;
    }
  }
}

/** An instant as ISO-8601 with the offset of `zone` then: still exact for a program, local for a person. */
function zoned(iso: string | null, zone: string): string | null {
  return iso === null ? null : DateTime.fromISO(iso, { zone }).toISO({ suppressMilliseconds: true });
}

function feature(r: ExportRow, zone: string) {
  return {
    type: 'Feature' as const,
    id: r.id,
    geometry: { type: 'Point' as const, coordinates: [r.lng, r.lat] },
    properties: {
      kind: r.kind,
      category: r.category,
      title: r.title,
      status: r.status,
      author: { id: r.authorId, displayName: r.authorName, member: r.authorIsMember },
      exactLocation: r.exact,
      precisionM: r.precisionM,
      capacity: r.capacity,
      capacityLeft: r.capacityLeft,
      nextStart: zoned(r.nextStart, zone),
      createdAt: zoned(r.createdAt, zone),
      timeZone: zone,
      matches: r.matches.map((m) => ({ ...m, acceptedAt: zoned(m.acceptedAt, zone) })),
    },
  };
}

/** The GeoJSON FeatureCollection, a page of features per chunk, its times with the offsets of `zone`. */
export async function* geoJsonChunks(pages: AsyncIterable<ExportRow[]>, zone: string): AsyncGenerator<string> {
  yield '{"type":"FeatureCollection","features":[';
  let first = true;
  for await (const rows of pages) {
    if (rows.length > 0) {
      yield (first ? '' : ',') + rows.map((r) => JSON.stringify(feature(r, zone))).join(',');
      first = false;
    }
  }
  yield ']}';
}
