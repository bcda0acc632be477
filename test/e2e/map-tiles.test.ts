// The map's first tiles on a slow phone (issue 16, Lighthouse): the tiles a
// visitor can see are asked for as the page's script starts, before the
// map's code (Leaflet) has come, and shown where the map then puts its own,
// which come from the browser's cache, not the tile server again; the tiles
// under the list's sheet are left to the map; none is asked for beneath
// another page opened first. The tile most in sight is asked for alone, the
// rest once it is drawn. Screenshot: map-tiles-early.png.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eSession, type PageDocument, shot } from './browser';

// page.evaluate's functions run in the page; its document, typed in browser.ts.
declare const document: PageDocument;

// A 1 × 1 PNG (a grey pixel): the page draws it at a tile's 256 px.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGPo6OgAAAMEAYFL09IQAAAAAElFTkSuQmCC', 'base64');
const VIEW = '/?lat=40.6782&lng=-73.9442&zoom=15';

const asked: string[] = [];
/** While set, the tile server answers nothing until it settles. */
let holding: Promise<void> | null = null;
let tiles: HttpServer;
let tileBase = '';
beforeAll(async () => {
  tiles = createServer(async (req, res) => {
    asked.push(req.url!);
    await holding;
    // As a public tile server answers: cacheable, and readable across origins (the map asks with CORS).
    res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=86400' }).end(PNG);
  });
  await new Promise<void>((r) => tiles.listen(0, '127.0.0.1', r));
  tileBase = `http://127.0.0.1:${(tiles.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => tiles.close(() => r())));

// {r}: the map asks a dense screen (this phone's, 2×) for "@2x" tiles; the first screen must ask for the same.
const e2e = e2eSession(() => ({ TILE_URL: `${tileBase}/{z}/{x}/{y}{r}.png` }));

interface Drawn {
  src: string;
  x: number;
  y: number;
}

describe("the map's first tiles", () => {
  it('show before the map has loaded, where the map then draws the same tiles from the cache', async () => {
    // A first visit, before the service worker (registered once the page has loaded) takes the page over:
    // the map's code held back past that moment would have a controlled page ask again for what an
    // uncontrolled one loaded (measured here: Chromium then asks the tile server a second time).
    const page = await (await e2e.phone({ serviceWorkers: 'block' })).newPage();
    // The map's code is held back, as a slow network would.
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    await page.route(/\/assets\/leaflet-src-[^/]+\.js$/, async (route: Route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${e2e.server.url}${VIEW}`);

    const early = page.locator('.ground img');
    await early.first().waitFor();
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('.ground img')] as unknown as { complete: boolean; naturalWidth: number }[];
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    expect(await page.locator('.leaflet-container').count(), 'the map has not started').toBe(0);
    const preview: Drawn[] = [];
    for (const img of await early.all()) {
      const box = (await img.boundingBox())!;
      preview.push({ src: (await img.getAttribute('src'))!, x: box.x, y: box.y });
    }
    // Only what is in sight: every tile asked for meets the part of the map above the sheet.
    const sheetTop = (await page.locator('section.sheet').boundingBox())!.y;
    const mapTop = (await page.locator('.ground').boundingBox())!.y;
    expect(preview.length).toBeGreaterThan(0);
    for (const t of preview) {
      expect(t.y, t.src).toBeLessThan(sheetTop);
      expect(t.y + 256, t.src).toBeGreaterThan(mapTop);
      expect(t.src, 'the dense screen\'s tiles').toMatch(/^http:\/\/127\.0\.0\.1:\d+\/15\/\d+\/\d+@2x\.png$/);
    }
    await shot(page, 'map-tiles-early');

    // The map comes: each of its tiles that the first screen drew lies exactly on it.
    release();
    await page.locator('.leaflet-tile-loaded').first().waitFor();
    // Read in the same moment as the map's tiles are counted: the first ones are still beneath while the
    // map's fade in (they go a quarter second after the map's are all there), so the ground never shows bare.
    const beneath = await page.waitForFunction((n) => {
      return document.querySelectorAll('.leaflet-tile-loaded').length >= n && { ground: document.querySelectorAll('.ground img').length };
    }, preview.length);
    expect(await beneath.jsonValue(), 'the first tiles, kept until the map has drawn its own').toEqual({ ground: preview.length });
    for (const t of preview) {
      const box = (await page.locator(`img.leaflet-tile[src="${t.src}"]`).boundingBox())!;
      expect(box, t.src).not.toBeNull();
      expect(Math.abs(box.x - t.x), `${t.src} x`).toBeLessThan(0.5);
      expect(Math.abs(box.y - t.y), `${t.src} y`).toBeLessThan(0.5);
    }
    // The first screen's tiles go once the map's are drawn; none was asked of the tile server twice.
    await page.waitForFunction(() => document.querySelectorAll('.ground img').length === 0);
    expect(asked.length).toBeGreaterThan(preview.length);
    expect(new Set(asked).size, asked.join(' ')).toBe(asked.length);
  });

  it('begin with the tile most in sight, alone, and the rest once it is drawn', async () => {
    const page = await (await e2e.phone({ serviceWorkers: 'block' })).newPage();
    await page.route(/\/assets\/leaflet-src-[^/]+\.js$/, () => {}); // the map's code never comes
    let answer = () => {};
    holding = new Promise<void>((r) => (answer = r));
    const before = asked.length;
    try {
      await page.goto(`${e2e.server.url}${VIEW}`, { waitUntil: 'domcontentloaded' }); // its load waits for the images
      await page.locator('.ground img').first().waitFor({ state: 'attached' });
      // Until that tile has come, it is all the ground asks for.
      expect(await page.locator('.ground img').count()).toBe(1);
      expect(asked.length - before).toBe(1);
    } finally {
      holding = null;
      answer();
    }
    const first = asked[before]!;
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('.ground img')] as unknown as { complete: boolean; naturalWidth: number }[];
      return imgs.length > 1 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    // The rest came after it, and none shows more of itself in the map's box than the first.
    const ground = (await page.locator('.ground').boundingBox())!;
    const inside = (b: { x: number; y: number; width: number; height: number }) =>
      Math.max(0, Math.min(ground.x + ground.width, b.x + b.width) - Math.max(ground.x, b.x)) * Math.max(0, Math.min(ground.y + ground.height, b.y + b.height) - Math.max(ground.y, b.y));
    const drawn = await page.locator('.ground img').all();
    const areas = new Map<string, number>();
    for (const img of drawn) {
      areas.set((await img.getAttribute('src'))!.replace(/^http:\/\/[^/]+/, ''), inside((await img.boundingBox())!));
    }
    expect(areas.has(first), first).toBe(true);
    expect(asked.slice(before + 1).sort()).toEqual([...areas.keys()].filter((src) => src !== first).sort());
    expect(Math.max(...areas.values())).toBe(areas.get(first));
  });

  it('are not asked for beneath another page opened first', async () => {
    const page = await (await e2e.phone({ serviceWorkers: 'block' })).newPage();
    await page.route(/\/assets\/leaflet-src-[^/]+\.js$/, () => {}); // the map's code never comes
    const before = asked.length;
    await page.goto(`${e2e.server.url}/mine${VIEW.slice(1)}`);
    await page.getByRole('heading', { name: 'My posts' }).waitFor();
    expect(await page.locator('.ground img').count()).toBe(0);
    expect(asked.length).toBe(before);
  });
});
