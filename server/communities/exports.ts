// Exports for organizers: the community's members' posts (and their
// matches) as CSV and GeoJSON, with their exact places (joining is the
// consent); the file name says so when a file holds any. Non-members' posts
// are not in them at all, nor the posts of anyone who blocked the organizer
// or whom the organizer blocked.
import type { DB } from '../../db';
import { roundLatLng } from '../geo/geo';
import { requireRole } from '../access';
import { communitiesRepo } from './repository';
import { organizingRepo } from './organizing-repository';

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
}

/**
 * Which posts go in the file (one pass over the boundary), before a byte is
 * sent: the organizer check and any database trouble still answer as a
 * problem, and the file name can say whether the file holds exact places.
 */
export async function planExport(db: DB, actor: { id: string }, communityId: string, now: Date): Promise<ExportPlan> {
  await requireRole(db, communityId, actor, 'organizer');
  const since = new Date(now.getTime() - EXPORT_DAYS * 86_400_000);
  const rows = await organizingRepo.exportPicks(db, actor.id, communityId, since, EXPORT_MAX_ROWS);
  if (rows.length > 0) {
    return { slug: rows[0]!.slug, ids: rows.map((r) => r.id) };
  }
  return { slug: (await communitiesRepo.slug(db, communityId))!, ids: [] };
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

/** `aidmap-<slug>-posts-<date>[-SENSITIVE-exact-locations].<ext>` */
export function exportFileName(slug: string, exact: boolean, now: Date, ext: 'csv' | 'geojson'): string {
  const sensitive = exact ? '-SENSITIVE-exact-locations' : '';
  return `aidmap-${slug}-posts-${now.toISOString().slice(0, 10)}${sensitive}.${ext}`;
}

/** One CSV field (RFC 4180), and never a formula a spreadsheet would run (a leading =, +, -, @ is quoted away). */
function field(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s) && typeof value === 'string') {
    s = `'${s}`;
  }
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const CSV_HEADER = ['id', 'kind', 'category', 'title', 'status', 'author_id', 'author', 'author_is_member', 'lat', 'lng', 'exact_location', 'precision_m', 'capacity', 'capacity_left', 'next_start', 'created_at', 'matches'];

function csvLine(r: ExportRow): string {
  const matches = r.matches.map((m) => `${m.id}:${m.status}`).join(' ');
  return [r.id, r.kind, r.category, r.title, r.status, r.authorId, r.authorName, r.authorIsMember, r.lat, r.lng, r.exact, r.precisionM, r.capacity, r.capacityLeft, r.nextStart, r.createdAt, matches]
    .map(field)
    .join(',');
}

/** The CSV file (RFC 4180, CRLF), a page of rows per chunk. */
export async function* csvChunks(pages: AsyncIterable<ExportRow[]>): AsyncGenerator<string> {
  yield `${CSV_HEADER.join(',')}\r\n`;
  for await (const rows of pages) {
    if (rows.length > 0) {
      yield `${rows.map(csvLine).join('\r\n')}\r\n`;
    }
  }
}

function feature(r: ExportRow) {
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
      nextStart: r.nextStart,
      createdAt: r.createdAt,
      matches: r.matches,
    },
  };
}

/** The GeoJSON FeatureCollection, a page of features per chunk. */
export async function* geoJsonChunks(pages: AsyncIterable<ExportRow[]>): AsyncGenerator<string> {
  yield '{"type":"FeatureCollection","features":[';
  let first = true;
  for await (const rows of pages) {
    if (rows.length > 0) {
      yield (first ? '' : ',') + rows.map((r) => JSON.stringify(feature(r))).join(',');
      first = false;
    }
  }
  yield ']}';
}
