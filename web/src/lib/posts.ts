// The posts the map and the list show: what the last load returned for the
// box and filters, kept current by live events. Plain TypeScript (the Svelte
// state class wraps it), so the rules are unit-tested without a browser.
import type { Post } from '../../../server/contract/posts';
import { inBBox } from '../../../server/contract/bbox';
import type { BBox, LiveEvent } from '../../../server/contract/live';

/** A community's area (GeoJSON Polygon or MultiPolygon, [lng, lat] positions). */
export interface Area {
  type: 'Polygon' | 'MultiPolygon';
  coordinates: number[][][] | number[][][][];
}

export interface ViewFilters {
  /** Only the posts of this community (a member's filter; the server decides by true place). */
  community?: { id: string; boundary: Area } | null;
  kind: 'need' | 'offer' | null;
  categories: string[];
  /** Only posts with a window meeting [from, to) (ISO instants); null: any time. */
  from: string | null;
  to: string | null;
}

export const NO_FILTERS: ViewFilters = { community: null, kind: null, categories: [], from: null, to: null };

/** Whether a ring ([lng, lat] positions, closed) holds the point: ray casting. */
function inRing(ring: number[][], lng: number, lat: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > lat !== yj > lat && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) {
      inside = !inside;
    }
  }
  return inside;
}

/** An area's bounding box: [west, south, east, north]. */
export function areaBounds(area: Area): [number, number, number, number] {
  const polygons = (area.type === 'Polygon' ? [area.coordinates] : area.coordinates) as number[][][][];
  const b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [lng, lat] of polygons.flatMap((rings) => rings[0] ?? []) as [number, number][]) {
    b[0] = Math.min(b[0], lng);
    b[1] = Math.min(b[1], lat);
    b[2] = Math.max(b[2], lng);
    b[3] = Math.max(b[3], lat);
  }
  return b;
}

/** Whether an area holds the point: inside an outer ring and none of its holes. */
export function inArea(area: Area, point: { lat: number; lng: number }): boolean {
  const polygons = (area.type === 'Polygon' ? [area.coordinates] : area.coordinates) as number[][][][];
  return polygons.some(([outer, ...holes]) => outer !== undefined && inRing(outer, point.lng, point.lat) && !holes.some((h) => inRing(h, point.lng, point.lat)));
}

/**
 * Whether a post that came live belongs to the community filter. Loads are
 * the server's answer (by true place); one already shown stays while its
 * place is the same; a new or moved one is judged by the point shown, which
 * near the edge may be a public point on the other side until the next load.
 */
function inCommunity(post: Post, old: Post | undefined, f: ViewFilters): boolean {
  if (!f.community) {
    return true;
  }
  if (old && old.location.lat === post.location.lat && old.location.lng === post.location.lng) {
    return true;
  }
  return inArea(f.community.boundary, post.location);
}

/** Whether a post belongs in the view: open, in the box, and passing the filters (the server's rules for listings). */
export function shows(post: Post, bbox: BBox, f: ViewFilters): boolean {
  if (post.status !== 'open' || !inBBox(bbox, post.location.lat, post.location.lng)) {
    return false;
  }
  if (f.kind && post.kind !== f.kind) {
    return false;
  }
  if (f.categories.length > 0 && !f.categories.includes(post.category)) {
    return false;
  }
  if (f.from || f.to) {
    const from = f.from ? Date.parse(f.from) : -Infinity;
    const to = f.to ? Date.parse(f.to) : Infinity;
    return post.schedule.some((w) => Date.parse(w.end) > from && Date.parse(w.start) < to);
  }
  return true;
}

/** Newest first, as the API lists them. */
function newer(a: Post, b: Post): number {
  // ISO instants and uuids order as plain strings (and as the server orders them); localeCompare
  // would build a collator first, the costliest step of a first load's sort.
  return compare(b.createdAt, a.createdAt) || compare(b.id, a.id);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameFilters(a: ViewFilters, b: ViewFilters): boolean {
  return (a.community?.id ?? null) === (b.community?.id ?? null) && a.kind === b.kind && a.from === b.from && a.to === b.to && a.categories.length === b.categories.length && a.categories.every((c, i) => b.categories[i] === c);
}

/** Whether a load of `area` with `areaFilters` holds all that `bbox` with `filters` shows. */
export function holds(area: BBox, areaFilters: ViewFilters, bbox: BBox, filters: ViewFilters): boolean {
  return sameFilters(filters, areaFilters) && within(bbox, area);
}

/** Whether box `inner` lies inside `outer` (boxes across the antimeridian only when equal). */
function within(inner: BBox, outer: BBox): boolean {
  if (inner[0] > inner[2] || outer[0] > outer[2]) {
    return inner.every((v, i) => v === outer[i]);
  }
  return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
}

/**
 * The posts of the loaded area (the box last loaded and subscribed to), kept
 * in order (newest first) as live events arrive, so an event costs a binary
 * search and a splice, not a sort of thousands. The map draws the whole area;
 * the list shows what is in the current view, a box inside the area, which
 * needs no new load while the area covers it (zooming in, say).
 */
export class PostsView {
  private readonly byId = new Map<string, Post>();
  private ordered: Post[] = [];
  /** Whether the last load brought every post of the area (not cut at the client's cap). */
  complete = true;

  constructor(
    public area: BBox,
    public filters: ViewFilters = NO_FILTERS,
  ) {}

  /** Replaces everything with a fresh load of `area` under `filters`. */
  reset(posts: Post[], area: BBox = this.area, filters: ViewFilters = this.filters, complete = true): void {
    this.area = area;
    this.filters = filters;
    this.complete = complete;
    this.byId.clear();
    for (const p of posts) {
      if (shows(p, area, filters)) {
        this.byId.set(p.id, p);
      }
    }
    this.ordered = [...this.byId.values()].sort(newer);
  }

  /** Whether the loaded posts already hold everything `bbox` under `filters` would load. */
  covers(bbox: BBox, filters: ViewFilters): boolean {
    return this.complete && holds(this.area, this.filters, bbox, filters);
  }

  /**
   * Applies a live event; true when the view changed. An update can bring a
   * post in (moved into the box, reopened) or take it out (closed, moved away).
   */
  apply(event: LiveEvent): boolean {
    if (!('post' in event)) {
      return false;
    }
    const post = event.post;
    const old = this.byId.get(post.id);
    if (shows(post, this.area, this.filters) && inCommunity(post, old, this.filters)) {
      // Never step back: an older copy (a replay after a fresh load) does not replace a newer one.
      if (old && Date.parse(old.updatedAt) > Date.parse(post.updatedAt)) {
        return false;
      }
      this.byId.set(post.id, post);
      if (old) {
        this.ordered[this.indexOf(old)] = post;
      } else {
        this.ordered.splice(this.insertionPoint(post), 0, post);
      }
      return true;
    }
    if (old) {
      this.byId.delete(post.id);
      this.ordered.splice(this.indexOf(old), 1);
      return true;
    }
    return false;
  }

  private insertionPoint(post: Post): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (newer(this.ordered[mid]!, post) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private indexOf(post: Post): number {
    const i = this.insertionPoint(post);
    return this.ordered[i]?.id === post.id ? i : this.ordered.findIndex((p) => p.id === post.id);
  }

  get(id: string): Post | undefined {
    return this.byId.get(id);
  }

  /** Newest first: the whole area, or what lies in `bbox`. A new array each time (views redraw on identity). */
  list(bbox?: BBox): Post[] {
    return bbox ? this.ordered.filter((p) => inBBox(bbox, p.location.lat, p.location.lng)) : [...this.ordered];
  }

  get size(): number {
    return this.byId.size;
  }
}
