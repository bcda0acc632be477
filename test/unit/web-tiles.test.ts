import { describe, expect, it } from 'vitest';
import { mostInSight, previewTiles, uncovered, worldPixel } from '../../web/src/lib/tiles';
import { pageWithConfig } from '../../server/plugins/web';

const VIEW = { lat: 40.6782, lng: -73.9442, zoom: 15 };
const ALL = { left: 0, top: 0, right: 412, bottom: 700 };
const rect = (left: number, top: number, width: number, height: number) => ({ left, top, width, height, right: left + width, bottom: top + height });

describe("the first screen's tiles", () => {
  it("places a view's tiles as Leaflet's spherical Mercator does", () => {
    // Null Island is the middle of the world; one tile holds the world at zoom 0.
    expect(worldPixel(0, 0, 0)).toEqual({ x: 128, y: 128 });
    expect(worldPixel(0, 180, 1).x).toBeCloseTo(512, 9);
    // Beyond Mercator's limit, a place is drawn at it.
    expect(worldPixel(89.9, 0, 0).y).toBeCloseTo(worldPixel(85.0511287798, 0, 0).y, 9);
    const tiles = previewTiles(VIEW, 412, 700, ALL, 'https://t.example/{z}/{x}/{y}.png', false);
    // The view's own tile first: the one holding the middle of the box.
    const c = worldPixel(VIEW.lat, VIEW.lng, 15);
    expect(tiles[0]!.url).toBe(`https://t.example/15/${Math.floor(c.x / 256)}/${Math.floor(c.y / 256)}.png`);
    expect(tiles[0]!.left).toBe(Math.floor(c.x / 256) * 256 - Math.round(c.x - 206));
    expect(tiles[0]!.top).toBe(Math.floor(c.y / 256) * 256 - Math.round(c.y - 350));
    // The box is covered, each tile once: 412 × 700 px takes 3 columns and 3 or 4 rows.
    expect(new Set(tiles.map((t) => t.url)).size).toBe(tiles.length);
    expect(Math.min(...tiles.map((t) => t.left))).toBeLessThanOrEqual(0);
    expect(Math.max(...tiles.map((t) => t.left + 256))).toBeGreaterThanOrEqual(412);
    expect(Math.min(...tiles.map((t) => t.top))).toBeLessThanOrEqual(0);
    expect(Math.max(...tiles.map((t) => t.top + 256))).toBeGreaterThanOrEqual(700);
  });

  it('asks only for the tiles in sight, nearest its middle first', () => {
    const all = previewTiles(VIEW, 412, 700, ALL, 'https://t.example/{z}/{x}/{y}.png', false);
    const top = previewTiles(VIEW, 412, 700, { ...ALL, bottom: 200 }, 'https://t.example/{z}/{x}/{y}.png', false);
    expect(top.length).toBeLessThan(all.length);
    for (const t of top) {
      expect(t.top).toBeLessThan(200);
      expect(all).toContainEqual(t);
    }
    const d = (t: { left: number; top: number }) => Math.hypot(t.left + 128 - 206, t.top + 128 - 100);
    expect(top.map(d)).toEqual([...top.map(d)].sort((a, b) => a - b));
  });

  it("fills the template as the map's tile layer does, or not at all", () => {
    const [first] = previewTiles(VIEW, 412, 700, ALL, 'https://{s}.t.example/{z}/{x}/{y}{r}.png?n={-y}', true);
    const [, z, x, y] = /(\d+)\/(\d+)\/(\d+)@2x/.exec(first!.url)!.map(Number);
    expect(first!.url).toBe(`https://${'abc'[(x! + y!) % 3]}.t.example/${z}/${x}/${y}@2x.png?n=${2 ** z! - 1 - y!}`);
    // A placeholder only the map knows (a key the map's options would fill): no early tiles.
    expect(previewTiles(VIEW, 412, 700, ALL, 'https://t.example/{z}/{x}/{y}.png?key={apikey}', false)).toEqual([]);
  });

  it('wraps around the date line and draws nothing beyond the poles', () => {
    const tiles = previewTiles({ lat: 80, lng: 179.9, zoom: 1 }, 1024, 1024, { left: 0, top: 0, right: 1024, bottom: 1024 }, '{z}/{x}/{y}', false);
    const urls = tiles.map((t) => t.url);
    expect(urls.every((u) => /^1\/[01]\/[01]$/.test(u))).toBe(true);
    expect(tiles.some((t) => t.top < 0 && t.top + 256 <= 0)).toBe(false);
  });

  it('picks the tile most inside the map to come first, the nearest the middle of those that tie', () => {
    const t = (left: number, top: number) => ({ url: `${left},${top}`, left, top });
    // In a 412 × 700 box: cut at the left (156 px wide), whole, whole but later in the order, cut at the top.
    expect(mostInSight([t(-100, 10), t(100, 300), t(120, 20), t(100, -50)], 412, 700)).toEqual(t(100, 300));
    expect(mostInSight([t(300, 0), t(-10, 0)], 412, 700)).toEqual(t(-10, 0)); // 246 px in sight against 112
    expect(mostInSight([], 412, 700)).toBeNull();
    const tiles = previewTiles(VIEW, 412, 700, { ...ALL, bottom: 315 }, 'https://t.example/{z}/{x}/{y}.png', false);
    const first = mostInSight(tiles, 412, 700)!;
    expect(tiles).toContainEqual(first);
  });

  it('leaves out the part under the sheet, at the foot or at the side', () => {
    const map = rect(0, 56, 412, 700);
    expect(uncovered(map, null)).toEqual({ left: 0, top: 0, right: 412, bottom: 700 });
    expect(uncovered(map, rect(0, 56 + 315, 412, 385))).toEqual({ left: 0, top: 0, right: 412, bottom: 315 });
    expect(uncovered(rect(0, 56, 1280, 700), rect(0, 56, 384, 700))).toEqual({ left: 384, top: 0, right: 1280, bottom: 700 });
    // A sheet folded to nothing, or over all of the map: the whole map.
    expect(uncovered(map, rect(0, 756, 412, 0))).toEqual({ left: 0, top: 0, right: 412, bottom: 700 });
    expect(uncovered(map, rect(0, 0, 412, 900))).toEqual({ left: 0, top: 0, right: 412, bottom: 700 });
  });
});

describe("the page's map settings", () => {
  const html = '<!doctype html><html><head><title>Aidmap</title></head><body><div id="app"></div></body></html>';
  const config = { tileUrl: 'https://tile.example.org/{z}/{x}/{y}.png', tileAttribution: '&copy; Map </script><script>alert(1)</script>', defaultCenter: { lat: 1, lng: 2, zoom: 3 } };

  it("writes them into the page's head as data no script can break out of, with a preconnect to the tile server", () => {
    const page = pageWithConfig(html, config);
    expect(page).toContain('<link rel="preconnect" href="https://tile.example.org" crossorigin>');
    const json = /<script type="application\/json" id="aidmap-config">(.*?)<\/script><\/head>/.exec(page)?.[1];
    expect(json).toBeDefined();
    expect(json).not.toMatch(/</);
    expect(JSON.parse(json!)).toEqual(config);
  });

  it('names no tile server whose host is a template', () => {
    expect(pageWithConfig(html, { ...config, tileUrl: 'https://{s}.tile.example.org/{z}/{x}/{y}.png' })).not.toContain('preconnect');
    expect(pageWithConfig(html, { ...config, tileUrl: '/tiles/{z}/{x}/{y}.png' })).not.toContain('preconnect');
  });
});
