// The Leaflet map: a `use:` action that creates the map and returns
// `{ update, destroy }` (nominatim-ui's shape), and a marker layer that
// clusters with supercluster and keeps one marker per key across redraws, so
// a live update touches only the markers that changed (no DOM churn for
// thousands of posts). Leaflet's default marker images are never used (they
// 404 under Vite, STACK.md trap 6): markers are our own divIcons.
import L from 'leaflet';
import Supercluster from 'supercluster';
import type { Post } from '../../../server/contract/posts';
import type { BBox } from '../../../server/contract/live';
import type { Area } from './posts';
import { CATEGORY_GLYPH } from './glyphs';
import type { View } from './tiles';

export type { View };

/** Where the maps' background tiles come from, and whose they are (the server's settings, /api/config). */
export interface TileSource {
  tileUrl: string;
  tileAttribution: string;
}

export interface MapOptions {
  view: View;
  tiles: TileSource;
  onMove(view: View, bbox: BBox): void;
  /** Tiles failed to load (offline, blocked): the app says so; markers and the list keep working. */
  onTilesFailing(failing: boolean): void;
  /** The map's tiles are drawn (faded in), or it moved: what lay beneath it in the meantime can go (lib/tiles.ts). */
  onTilesShown?(): void;
  onSelect(id: string): void;
  posts: Post[];
  selected: string | null;
  /** A community's area the map is filtered to, drawn as a dashed outline. */
  outline?: Area | null;
  labels: { need: string; offer: string; category: (c: string) => string; approximate: (m: number) => string; cluster: (n: number) => string };
}

export function bboxOf(map: L.Map): BBox {
  const b = map.getBounds();
  const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, x));
  return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)];
}

function round(view: View): View {
  return { lat: Number(view.lat.toFixed(5)), lng: Number(view.lng.toFixed(5)), zoom: view.zoom };
}

/**
 * Markers for posts and clusters. Two things keep a live update from
 * redrawing the map: the points go to supercluster in a stable order (the
 * order they first came in; new ones last), because its greedy clustering
 * depends on the order, so one new post changes at most the cluster it joins;
 * and a cluster's marker is keyed by its place and size, not by its
 * supercluster id, which shifts whenever the index is rebuilt. Selecting a
 * post marks its marker in place (a class), so a marker keeps the focus.
 *
 * The keyboard: the markers are one Tab stop (a roving tabindex, as in the
 * WAI-ARIA toolbar pattern), not one each (a few dozen Tabs before the rest
 * of the page); the arrow keys go from marker to marker in reading order
 * (north to south, then west to east), Home and End to the first and last,
 * and Enter or Space does what a tap does. Leaflet's own `keyboard` option
 * only gives every marker a tabindex of 0, and its markers are divs, which
 * Enter does not click.
 */
class MarkerLayer {
  private readonly group = L.layerGroup();
  private readonly markers = new Map<string, { marker: L.Marker; look: string; clusterId?: number }>();
  /** The markers' keys in reading order, and the one that takes the Tab stop. */
  private tabOrder: string[] = [];
  private active: string | null = null;
  private readonly index = new Supercluster<{ id: string }>({ radius: 48, maxZoom: 16 });
  private posts = new Map<string, Post>();
  private order: string[] = [];
  private halo: L.Circle | null = null;
  /** Whether the index has been loaded once (supercluster cannot be asked before). */
  private loaded = false;
  private haloLook = '';

  constructor(
    private readonly map: L.Map,
    private options: MapOptions,
  ) {
    this.group.addTo(map);
  }

  setOptions(options: MapOptions): void {
    this.options = options;
  }

  setPosts(posts: Post[]): void {
    const next = new Map(posts.map((p) => [p.id, p]));
    const order = this.order.filter((id) => next.has(id));
    for (const p of posts) {
      if (!this.posts.has(p.id)) {
        order.push(p.id);
      }
    }
    this.posts = next;
    this.order = order;
    this.loaded = true;
    this.index.load(
      order.map((id) => {
        const p = next.get(id)!;
        return { type: 'Feature', properties: { id }, geometry: { type: 'Point', coordinates: [p.location.lng, p.location.lat] } };
      }),
    );
    this.draw();
  }

  /** Redraws what is in view, keeping every marker whose key and look did not change. */
  draw(): void {
    if (!this.loaded) {
      return; // the posts come in a task of their own (mapAction); until then there is nothing to draw
    }
    const [w, s, e, n] = bboxOf(this.map);
    const zoom = Math.round(this.map.getZoom());
    const seen = new Set<string>();
    for (const f of this.index.getClusters([w, s, e, n], zoom)) {
      const [lng, lat] = f.geometry.coordinates as [number, number];
      const props = f.properties as { cluster?: boolean; cluster_id?: number; point_count?: number; id?: string };
      let key: string;
      let html: string;
      let label: string;
      let onClick: () => void;
      if (props.cluster) {
        const count = props.point_count!;
        key = `c${count}@${lat.toFixed(6)},${lng.toFixed(6)}`;
        html = `<span class="cluster glyph" aria-hidden="true">${count}</span>`;
        label = this.options.labels.cluster(count);
        // The id as of the latest draw (a kept marker outlives the index it was made from).
        onClick = () => this.map.flyTo([lat, lng], Math.min(this.index.getClusterExpansionZoom(this.markers.get(key)!.clusterId!), 18));
      } else {
        const post = this.posts.get(props.id!)!;
        key = post.id;
        html = `<span class="pin glyph ${post.kind} cat-${post.category}" aria-hidden="true">${CATEGORY_GLYPH[post.category] ?? '•'}</span>`;
        label = `${post.kind === 'need' ? this.options.labels.need : this.options.labels.offer}: ${this.options.labels.category(post.category)} — ${post.title}`;
        onClick = () => this.options.onSelect(post.id);
      }
      seen.add(key);
      const existing = this.markers.get(key);
      // A marker is kept while its place, look and label are the same (a moved or renamed post gets a new one).
      const look = `${lat},${lng}|${label}|${html}`;
      if (existing && existing.look === look) {
        existing.clusterId = props.cluster_id;
        this.markSelected(existing.marker, !props.cluster && this.options.selected === key);
        continue;
      }
      existing?.marker.remove();
      const marker = L.marker([lat, lng], {
        icon: L.divIcon({ html, className: 'marker', iconSize: [36, 36], iconAnchor: [18, 18] }),
        title: label,
        alt: label,
        keyboard: true,
        riseOnHover: true,
      }).on('click', onClick);
      marker.addTo(this.group);
      const element = marker.getElement();
      element?.addEventListener('keydown', (event) => this.key(event, key, onClick));
      element?.addEventListener('focus', () => (this.active = key));
      this.markSelected(marker, !props.cluster && this.options.selected === key);
      this.markers.set(key, { marker, look, ...(props.cluster ? { clusterId: props.cluster_id! } : {}) });
    }
    for (const [key, { marker }] of this.markers) {
      if (!seen.has(key)) {
        marker.remove();
        this.markers.delete(key);
      }
    }
    this.rove();
    this.drawHalo();
  }

  private markSelected(marker: L.Marker, selected: boolean): void {
    marker.getElement()?.querySelector('.pin')?.classList.toggle('selected', selected);
  }

  /** One marker in the Tab order: the one last focused, else the selected post's, else the first in reading order. */
  private rove(): void {
    const placed = [...this.markers].map(([key, { marker }]) => ({ key, at: marker.getLatLng(), element: marker.getElement() }));
    placed.sort((a, b) => b.at.lat - a.at.lat || a.at.lng - b.at.lng);
    this.tabOrder = placed.map((m) => m.key);
    const selected = this.options.selected;
    const stop = this.active !== null && this.markers.has(this.active) ? this.active : selected !== null && this.markers.has(selected) ? selected : (this.tabOrder[0] ?? null);
    for (const m of placed) {
      if (m.element) {
        m.element.tabIndex = m.key === stop ? 0 : -1;
      }
    }
  }

  private key(event: KeyboardEvent, key: string, activate: () => void): void {
    const i = this.tabOrder.indexOf(key);
    const last = this.tabOrder.length - 1;
    const to: Record<string, number> = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: last };
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      activate();
    } else if (event.key in to) {
      // Not Leaflet's panning, nor the page's scrolling: the next marker.
      event.preventDefault();
      event.stopPropagation();
      const next = this.tabOrder[Math.max(0, Math.min(last, to[event.key]!))];
      const element = next === undefined ? undefined : this.markers.get(next)?.marker.getElement();
      if (next !== undefined && element) {
        this.active = next;
        this.rove();
        element.focus();
      }
    }
  }

  /** The selected post's place drawn as what it is: an area of `locationPrecisionM`, not a pin on a house. */
  private drawHalo(): void {
    const post = this.options.selected ? this.posts.get(this.options.selected) : undefined;
    const look = post && post.locationPrecisionM > 0 ? `${post.kind}|${post.location.lat},${post.location.lng}|${post.locationPrecisionM}` : '';
    if (look === this.haloLook) {
      return;
    }
    this.haloLook = look;
    this.halo?.remove();
    this.halo = null;
    if (post && look) {
      this.halo = L.circle([post.location.lat, post.location.lng], {
        radius: post.locationPrecisionM,
        className: `halo ${post.kind}`,
        interactive: false,
      }).addTo(this.map);
    }
  }
}

/**
 * The map's background tiles, telling `onFailing(true)` when three fail
 * before any loads (offline, blocked) and `onFailing(false)` when they load
 * again: the app then says so, and markers and lists keep working.
 */
export function reportingTiles(map: L.Map, tiles: TileSource, onFailing: (failing: boolean) => void): L.TileLayer {
  let failures = 0;
  let loaded = 0;
  return L.tileLayer(tiles.tileUrl, { attribution: tiles.tileAttribution, maxZoom: 19, crossOrigin: true })
    .on('tileerror', () => {
      failures++;
      if (failures >= 3 && loaded === 0) {
        onFailing(true);
      }
    })
    .on('tileload', () => {
      loaded++;
      if (failures > 0) {
        failures = 0;
        onFailing(false);
      }
    })
    .addTo(map);
}

/**
 * Runs `work` in a task of its own (after what the browser has queued: a tap,
 * a paint). A slow phone then answers a tap between the map's steps, where
 * the whole map in one task (a few hundred milliseconds there) would hold
 * it; the latest call wins, and `cancel` drops what has not run.
 */
function nextTask() {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    run(work: () => void) {
      if (timer !== null) {
        clearTimeout(timer);
      }
      timer = setTimeout(() => {
        timer = null;
        work();
      });
    },
    cancel() {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
    },
  };
}

export function mapAction(node: HTMLElement, options: MapOptions) {
  // The credits go top right: at the bottom, the list's sheet covers them (the tiles' licence asks they be seen).
  const map = L.map(node, { zoomControl: true, attributionControl: false }).setView([options.view.lat, options.view.lng], options.view.zoom);
  L.control.attribution({ position: 'topright' }).addTo(map);
  let current = options;
  let tiles: L.TileLayer | null = null;
  let told = false;
  let fadedIn: ReturnType<typeof setTimeout> | undefined;
  const tilesShown = () => {
    if (!told) {
      told = true;
      clearTimeout(fadedIn);
      current.onTilesShown?.();
    }
  };
  map.once('movestart zoomstart', tilesShown);
  const tilesTask = nextTask();
  tilesTask.run(() => {
    tiles = reportingTiles(map, current.tiles, (failing) => current.onTilesFailing(failing));
    // Leaflet fades its tiles in over 200 ms once they have all loaded.
    tiles.once('load', () => (fadedIn = setTimeout(tilesShown, 250)));
  });
  const layer = new MarkerLayer(map, options);
  // The markers in a task of their own, as the tiles: posts and a map's first view each cost a slow phone a long task.
  const markersTask = nextTask();
  markersTask.run(() => layer.setPosts(current.posts));
  let outline: L.GeoJSON | null = null;
  const drawOutline = (area: Area | null | undefined) => {
    outline?.remove();
    outline = area ? L.geoJSON(area as never, { interactive: false, style: { className: 'community-outline', color: '#1d3a2c', weight: 3, dashArray: '8 6', fill: false } }).addTo(map) : null;
  };
  drawOutline(options.outline);
  const moved = () => {
    const c = map.getCenter();
    layer.draw();
    current.onMove(round({ lat: c.lat, lng: c.lng, zoom: map.getZoom() }), bboxOf(map));
  };
  map.on('moveend', moved);
  // The container changes size without a window resize (a banner comes or goes, the sheet opens):
  // Leaflet learns it here (keeping the center the URL names), and a changed box is announced through moveend.
  const resized = new ResizeObserver(() => map.invalidateSize({ pan: true, animate: false, debounceMoveend: true }));
  resized.observe(node);
  // The first view is announced once the map has a size.
  queueMicrotask(moved);

  return {
    update(next: MapOptions) {
      if (next.outline !== current.outline) {
        drawOutline(next.outline);
      }
      const postsChanged = next.posts !== current.posts;
      const selectionChanged = next.selected !== current.selected;
      current = next;
      layer.setOptions(next);
      // A view the map already shows is not set again: the map's centre lies on whole pixels, so it reads
      // up to half a pixel (a few metres) off the one asked for, and setting it again would move the map
      // by that much and announce a move (a second load of the same posts, as the first screen opened).
      const zoom = map.getZoom();
      if (zoom !== next.view.zoom || map.project([next.view.lat, next.view.lng], zoom).distanceTo(map.project(map.getCenter(), zoom)) >= 1) {
        map.setView([next.view.lat, next.view.lng], next.view.zoom);
      }
      if (postsChanged) {
        markersTask.run(() => layer.setPosts(current.posts));
      } else if (selectionChanged) {
        layer.draw();
      }
    },
    destroy() {
      tilesTask.cancel();
      markersTask.cancel();
      clearTimeout(fadedIn);
      resized.disconnect();
      tiles?.off();
      map.remove();
    },
  };
}

export interface PickerOptions {
  center: View;
  value: { lat: number; lng: number } | null;
  tiles: TileSource;
  onPick(point: { lat: number; lng: number }): void;
}

/** A small map where a tap sets a point (the post's place, a ride's destination). */
export function pickerAction(node: HTMLElement, options: PickerOptions) {
  const map = L.map(node).setView([options.value?.lat ?? options.center.lat, options.value?.lng ?? options.center.lng], Math.max(options.center.zoom, 15));
  L.tileLayer(options.tiles.tileUrl, { attribution: options.tiles.tileAttribution, maxZoom: 19 }).addTo(map);
  let current = options;
  let marker: L.Marker | null = null;
  const show = (p: { lat: number; lng: number } | null) => {
    marker?.remove();
    marker = p
      ? // Not a control (keyboard: false): the buttons beside the map set the point for keyboard users.
        L.marker([p.lat, p.lng], { icon: L.divIcon({ html: '<span class="pin chosen" aria-hidden="true">✓</span>', className: 'marker', iconSize: [36, 36], iconAnchor: [18, 18] }), interactive: false, keyboard: false }).addTo(map)
      : null;
  };
  show(options.value);
  map.on('click', (e: L.LeafletMouseEvent) => current.onPick({ lat: Number(e.latlng.lat.toFixed(6)), lng: Number(e.latlng.lng.toFixed(6)) }));
  return {
    update(next: PickerOptions) {
      current = next;
      show(next.value);
      if (next.value) {
        map.panTo([next.value.lat, next.value.lng]);
      }
    },
    destroy() {
      map.remove();
    },
  };
}
