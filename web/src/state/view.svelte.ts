// What the map shows: where it is (kept in the URL, so a link opens the
// same place), its box, and the filters (one of my communities, kind,
// categories, day), plus the server's map settings.
import type { BBox } from '../../../server/contract/live';
import type { TileSource, View } from '../lib/map';
import { type Area, areaBounds, type ViewFilters } from '../lib/posts';

export type DayFilter = 'any' | 'today' | 'week' | 'date';

/** The server's settings for the map (/api/config). */
export interface ClientConfig extends TileSource {
  defaultCenter: View;
}

/**
 * The map's settings as the server wrote them into the page (a JSON script
 * element, `#aidmap-config`), so the first screen can ask for its tiles
 * before any request of its own; null when the page has none (Vite's
 * development server) or it is not what the server sends.
 */
export function configInPage(doc: Document = document): ClientConfig | null {
  try {
    const c = JSON.parse(doc.getElementById('aidmap-config')?.textContent ?? 'null') as ClientConfig | null;
    const center = c?.defaultCenter;
    return c && typeof c.tileUrl === 'string' && typeof c.tileAttribution === 'string' && center && [center.lat, center.lng, center.zoom].every(Number.isFinite) ? c : null;
  } catch {
    return null;
  }
}

/** A community the map is filtered to. */
export interface CommunityArea {
  id: string;
  name: string;
  boundary: Area;
}

/** `?lat=…&lng=…&zoom=…` → a view, when all three are there and sane. */
export function viewFromUrl(search: string): View | null {
  const q = new URLSearchParams(search);
  const lat = Number(q.get('lat'));
  const lng = Number(q.get('lng'));
  const zoom = Number(q.get('zoom'));
  if (!q.has('lat') || !q.has('lng') || !q.has('zoom') || !(Math.abs(lat) <= 90) || !(Math.abs(lng) <= 180) || !(zoom >= 1 && zoom <= 19)) {
    return null;
  }
  return { lat, lng, zoom: Math.round(zoom) };
}

/** The [from, to) instants a day filter means, in the viewer's time zone. */
export function dayRange(day: DayFilter, date: string | null, now = new Date()): { from: string | null; to: string | null } {
  const midnight = (y: number, m: number, d: number) => new Date(y, m, d).toISOString();
  if (day === 'today' || day === 'week') {
    // From now to the end of today, or of the sixth day after it.
    return { from: now.toISOString(), to: midnight(now.getFullYear(), now.getMonth(), now.getDate() + (day === 'today' ? 1 : 7)) };
  }
  if (day === 'date' && date) {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return { from: midnight(y, m - 1, d), to: midnight(y, m - 1, d + 1) };
  }
  return { from: null, to: null };
}

export class ViewState {
  /** The view the page was opened at (its URL's), which nothing else overrides at the start. */
  private readonly opened = viewFromUrl(location.search);
  config = $state<ClientConfig | null>(configInPage());
  view = $state<View>(this.opened ?? this.config?.defaultCenter ?? { lat: 40.6694, lng: -73.9422, zoom: 14 });
  /** The map's box (raw: read for every post when the list is cut to the view). */
  bbox = $state.raw<BBox | null>(null);
  /** The map filtered to one of my communities (raw: its boundary is read for live posts). */
  community = $state.raw<CommunityArea | null>(null);
  kind = $state<'need' | 'offer' | null>(null);
  categories = $state<string[]>([]);
  day = $state<DayFilter>('any');
  date = $state<string | null>(null);
  /** The map's background tiles do not load (the map still works, on a plain ground). */
  tilesFailing = $state(false);

  /**
   * Reads the server's map settings, unless the page brought them (a
   * default when it cannot say), then opens at the URL's view, else at the
   * person's place, else at the default.
   */
  async start(): Promise<void> {
    const config =
      this.config ??
      (await fetch('/api/config')
        .then((r) => (r.ok ? (r.json() as Promise<ClientConfig>) : null))
        .catch(() => null));
    this.config = config ?? {
      tileUrl: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
      tileAttribution: '&copy; OpenStreetMap contributors',
      defaultCenter: this.view,
    };
    if (this.opened) {
      return; // already the view (the constructor's)
    }
    this.view = this.config.defaultCenter;
    if ('geolocation' in navigator) {
      navigator.geolocation.getCurrentPosition(
        (p) => (this.view = { lat: p.coords.latitude, lng: p.coords.longitude, zoom: 15 }),
        () => {},
        { maximumAge: 600_000, timeout: 8000 },
      );
    }
  }

  /** The map moved: remember the view in the URL (a link opens the same place). */
  moved(view: View, bbox: BBox): void {
    this.view = view;
    this.bbox = bbox;
    const q = new URLSearchParams(location.search);
    q.set('lat', String(view.lat));
    q.set('lng', String(view.lng));
    q.set('zoom', String(view.zoom));
    history.replaceState(history.state, '', `${location.pathname}?${q}`);
  }

  /** Filters the map to one of my communities (null: everywhere), bringing its area into view. */
  showCommunity(c: CommunityArea | null): void {
    this.community = c;
    if (c) {
      const [w, s, e, n] = areaBounds(c.boundary);
      // The zoom at which the area's width (or height, on a tall phone) fits about 1.5 tiles of 256 px.
      const span = Math.max(e - w, (n - s) * 1.3, 1e-4);
      this.view = { lat: (s + n) / 2, lng: (w + e) / 2, zoom: Math.max(3, Math.min(17, Math.floor(Math.log2(540 / span)))) };
    }
  }

  filters(): ViewFilters {
    const { from, to } = dayRange(this.day, this.date);
    // A plain copy of the categories: the view reads them for every post, a state proxy would cost each read.
    return { community: this.community, kind: this.kind, categories: [...this.categories], from, to };
  }
}
