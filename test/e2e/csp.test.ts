// The web app under the server's Content-Security-Policy, in Chromium: every
// page (the map with tiles and markers, a post, the forms, a community's
// coverage map) runs with no violation, the live socket connects, the
// service worker installs, the locale-data worker (web/src/lib/icu.ts)
// starts; the API docs run under their own policy. And the policy is
// really enforced: an inline script and a style attribute are refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiClient, e2eSession, ROOT } from './browser';

const e2e = e2eSession();


type Globals = { __violations?: string[]; document: { addEventListener(type: string, fn: (e: Record<string, unknown>) => void): void } };

/** Violations the page reported since the last call (recorded from the first byte by an init script). */
async function takeViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const w = globalThis as unknown as Globals;
    const found = w.__violations ?? [];
    w.__violations = [];
    return found;
  });
}

describe('content security policy', () => {
  it('the app runs with no violation on every page; tiles load from TILE_URL; inline code is refused', async () => {
    const api = apiClient(e2e.server.url);
    await api.call('POST', '/api/auth/signup', { email: `csp-${Date.now()}@example.org`, password: 'correct horse battery', displayName: 'Cleo' });
    const c = { lat: 40.6694, lng: -73.9422 };
    const soon = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
    const { post } = await api.call<{ post: { id: string } }>('POST', '/api/posts', {
      kind: 'need', category: 'meal', title: 'Soup, please', description: 'Any soup', location: c, radiusM: 3000,
      windows: [{ start: soon(24), end: soon(26) }], capacity: 1, details: {},
    });
    const ring = [[c.lng - 0.012, c.lat - 0.009], [c.lng + 0.012, c.lat - 0.009], [c.lng + 0.012, c.lat + 0.009], [c.lng - 0.012, c.lat + 0.009], [c.lng - 0.012, c.lat - 0.009]];
    const { community } = await api.call<{ community: { id: string } }>('POST', '/api/communities', {
      name: 'Crown Heights Neighbors', slug: `ch-${Date.now()}`, joinPolicy: 'open', timezone: 'America/New_York', boundary: { type: 'Polygon', coordinates: [ring] },
    });

    const context = await e2e.phone();
    const [name, value] = api.cookie().split('=');
    await context.addCookies([{ name: name!, value: value!, url: e2e.server.url }]);
    // Tiles answered here (the machine may be offline): a request CSP blocks never reaches this route.
    const png = readFileSync(join(ROOT, 'web/public/icons/icon-192.png'));
    let tilesServed = 0;
    await context.route(/tile\.openstreetmap\.org/, (route) => {
      tilesServed++;
      return route.fulfill({ status: 200, contentType: 'image/png', body: png });
    });
    await context.addInitScript(() => {
      const w = globalThis as unknown as Globals;
      w.__violations = [];
      w.document.addEventListener('securitypolicyviolation', (e) => {
        (w.__violations ??= []).push(`${String(e.effectiveDirective)} ${String(e.blockedURI)} at ${String(e.sourceFile)}:${String(e.lineNumber)}`);
      });
    });
    const page = await context.newPage();
    const frames: string[] = [];
    page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
    const workers: string[] = [];
    page.on('worker', (w) => workers.push(w.url()));

    const paths = ['/', `/posts/${post.id}`, '/new', '/mine', '/matches', '/account', '/communities', `/communities/${community.id}`, `/communities/${community.id}/coverage`, `/communities/${community.id}/members`, `/communities/${community.id}/audit`];
    for (const path of paths) {
      await page.goto(`${e2e.server.url}${path}`);
      await page.waitForLoadState('networkidle').catch(() => {});
      expect(await takeViolations(page), path).toEqual([]);
    }
    expect(workers.filter((url) => /\/assets\/icu\.worker-[\w-]+\.js$/.test(url)).length).toBe(paths.length);
    await page.goto(`${e2e.server.url}/?lat=${c.lat}&lng=${c.lng}&zoom=15`);
    await page.locator('img.leaflet-tile-loaded').first().waitFor();
    await page.locator('.leaflet-marker-icon').first().waitFor();
    expect(tilesServed).toBeGreaterThan(0);
    expect(frames.some((f) => f.includes('"subscribed"'))).toBe(true);
    expect(await page.evaluate(async () => {
      const nav = (globalThis as unknown as { navigator: { serviceWorker: { ready: Promise<{ active: { scriptURL: string } | null }> } } }).navigator;
      return (await nav.serviceWorker.ready).active?.scriptURL;
    })).toBe(`${e2e.server.url}/sw.js`);
    expect(await takeViolations(page)).toEqual([]);

    // The control: the policy is enforced, and violations are seen.
    await page.evaluate(() => {
      const d = (globalThis as unknown as { document: { createElement(t: string): { setAttribute(n: string, v: string): void; textContent: string }; body: { append(...n: unknown[]): void } } }).document;
      const div = d.createElement('div');
      div.setAttribute('style', 'color: red');
      const script = d.createElement('script');
      script.textContent = 'globalThis.__ran = true';
      d.body.append(div, script);
    });
    await expect.poll(async () => (await takeViolations(page)).map((v) => v.split(' ')[0]).sort()).toEqual(['script-src-elem', 'style-src-attr']);
    expect(await page.evaluate(() => (globalThis as unknown as { __ran?: boolean }).__ran)).toBeUndefined();
    await context.close();
  });

  it('the API docs render under their own policy', async () => {
    const context = await e2e.phone();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${e2e.server.url}/api/docs`);
    await page.locator('.opblock').first().waitFor();
    expect(errors.filter((e) => /Content Security Policy/.test(e))).toEqual([]);
    await context.close();
  });
});
