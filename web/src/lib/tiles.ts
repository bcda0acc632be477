// The map's first tiles, drawn before the map's code (Leaflet, ~43 KB
// compressed, and a few hundred milliseconds of a slow phone's processor)
// has come: the tiles a person can see are asked for as soon as the tile
// server's address is known, and shown where Leaflet will put them, so its
// own tiles (the same addresses, from the browser's cache) then land on
// them without a jump. Only the tiles outside the list's sheet are asked
// for here, nearest the middle of what shows first; the map asks for the
// rest. Nothing here imports Leaflet: this is in the first script. The
// arithmetic is here; the action that draws the tiles, in tilePreview.ts.

/** Where a map looks: its middle and zoom. */
export interface View {
  lat: number;
  lng: number;
  zoom: number;
}

/** A tile of the first screen: its address and where its top-left corner lies in the map's box. */
export interface PreviewTile {
  url: string;
  left: number;
  top: number;
}

/** A box in the map's own pixels (0, 0 at its top left). */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A map tile's side, in CSS pixels (Leaflet's default tileSize). */
export const TILE = 256;
// Leaflet's spherical Mercator (L.CRS.EPSG3857): its earth's radius and latitude limit.
const R = 6378137;
const MAX_LATITUDE = 85.0511287798;

/** A place's pixel at a zoom, in Leaflet's world pixels (256 × 2^zoom across). */
export function worldPixel(lat: number, lng: number, zoom: number): { x: number; y: number } {
  const d = Math.PI / 180;
  const sin = Math.sin(Math.max(Math.min(MAX_LATITUDE, lat), -MAX_LATITUDE) * d);
  const scale = TILE * 2 ** zoom;
  const k = 0.5 / (Math.PI * R);
  return { x: scale * (k * R * lng * d + 0.5), y: scale * (-k * ((R * Math.log((1 + sin) / (1 - sin))) / 2) + 0.5) };
}

/**
 * Fills a tile URL template as Leaflet's tile layer does with our options
 * ({z}, {x}, {y}, {-y}, {s} from "abc", {r} "@2x" on a dense screen); null
 * when it names anything else, which only the map can fill.
 */
function tileUrl(template: string, z: number, x: number, y: number, retina: boolean): string | null {
  const data: Record<string, string | number> = { z, x, y, '-y': 2 ** z - 1 - y, s: 'abc'[Math.abs(x + y) % 3]!, r: retina ? '@2x' : '' };
  let unknown = false;
  const url = template.replace(/\{ *([\w_ -]+) *\}/g, (_m, key: string) => {
    if (!(key in data)) {
      unknown = true;
      return '';
    }
    return String(data[key]);
  });
  return unknown ? null : url;
}

/**
 * The tiles Leaflet will show in a map box of `width` × `height` at `view`,
 * keeping those that meet `visible` (the part not under the sheet), nearest
 * its middle first; each placed as Leaflet places it (the map's pixel
 * origin rounded to a whole pixel).
 */
export function previewTiles(view: View, width: number, height: number, visible: Box, template: string, retina: boolean): PreviewTile[] {
  const zoom = Math.round(view.zoom);
  const centre = worldPixel(view.lat, view.lng, zoom);
  const origin = { x: Math.round(centre.x - width / 2), y: Math.round(centre.y - height / 2) };
  const count = 2 ** zoom;
  const middle = { x: (visible.left + visible.right) / 2, y: (visible.top + visible.bottom) / 2 };
  const tiles: (PreviewTile & { distance: number })[] = [];
  for (let ty = Math.floor((origin.y + visible.top) / TILE); ty * TILE < origin.y + visible.bottom; ty++) {
    if (ty < 0 || ty >= count) {
      continue; // beyond the poles: Leaflet draws nothing there either
    }
    for (let tx = Math.floor((origin.x + visible.left) / TILE); tx * TILE < origin.x + visible.right; tx++) {
      const url = tileUrl(template, zoom, ((tx % count) + count) % count, ty, retina);
      if (url === null) {
        return [];
      }
      const left = tx * TILE - origin.x;
      const top = ty * TILE - origin.y;
      tiles.push({ url, left, top, distance: Math.hypot(left + TILE / 2 - middle.x, top + TILE / 2 - middle.y) });
    }
  }
  return tiles.sort((a, b) => a.distance - b.distance).map(({ url, left, top }) => ({ url, left, top }));
}

/**
 * Of `tiles` (nearest the middle first), the one with the most of itself
 * inside a `width` × `height` map box, the first such when several tie:
 * the first screen's largest image, which the ground asks for alone.
 */
export function mostInSight(tiles: PreviewTile[], width: number, height: number): PreviewTile | null {
  const inside = (t: PreviewTile) =>
    Math.max(0, Math.min(width, t.left + TILE) - Math.max(0, t.left)) * Math.max(0, Math.min(height, t.top + TILE) - Math.max(0, t.top));
  return tiles.reduce<PreviewTile | null>((best, t) => (best === null || inside(t) > inside(best) ? t : best), null);
}

/** An element's place on the screen (a DOMRect's fields). */
export interface Rect extends Box {
  width: number;
  height: number;
}

/** The part of `map` that `cover` (the list's sheet) leaves in sight, when the sheet lies across its foot or its side. */
export function uncovered(map: Rect, cover: Rect | null): Box {
  const box = { left: 0, top: 0, right: map.width, bottom: map.height };
  if (!cover || cover.width === 0 || cover.height === 0) {
    return box;
  }
  if (cover.left <= map.left && cover.right >= map.right && cover.bottom >= map.bottom) {
    box.bottom = Math.max(0, Math.min(map.height, cover.top - map.top));
  } else if (cover.top <= map.top && cover.bottom >= map.bottom && cover.left <= map.left) {
    box.left = Math.min(map.width, Math.max(0, cover.right - map.left));
  }
  return box.bottom > box.top && box.right > box.left ? box : { left: 0, top: 0, right: map.width, bottom: map.height };
}
