import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestApp, type TestContext } from '../helper';

let ctx: TestContext;
// A stand-in for web/dist, so this file does not depend on a prior build.
const webRoot = mkdtempSync(join(tmpdir(), 'aidmap-web-'));
writeFileSync(join(webRoot, 'index.html'), '<!doctype html><div id="app"></div>');
writeFileSync(join(webRoot, 'app.js'), 'console.log("aidmap")');
mkdirSync(join(webRoot, 'assets'));
writeFileSync(join(webRoot, 'assets', 'index-abc123.js'), 'console.log("hashed")');

beforeAll(async () => {
  ctx = await buildTestApp({ env: { WEB_ROOT: webRoot } });
});
afterAll(async () => {
  await ctx?.app.close();
});

describe('operations', () => {
  it('GET /api/health checks the database', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', db: 'ok' });
  });

  it('GET /api/config tells the web app its tile server and where the map opens', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/config' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      tileUrl: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
      tileAttribution: expect.stringContaining('OpenStreetMap'),
      defaultCenter: { lat: 40.6694, lng: -73.9422, zoom: 14 },
    });
  });

  it('gives every response a request id, and keeps one the client sent', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await ctx.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': 'trace-123' } });
    expect(echoed.headers['x-request-id']).toBe('trace-123');
  });

  it('publishes OpenAPI generated from the route schemas, and its UI', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/api/auth/signup', '/api/auth/login', '/api/auth/logout', '/api/me', '/api/posts', '/api/posts/{id}', '/api/health']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    const create = doc.paths['/api/posts'].post;
    expect(create.requestBody.content['application/json'].schema.properties).toHaveProperty('location');
    expect(create.responses).toHaveProperty('201');
    expect(create.responses).toHaveProperty('400');
    expect(create.security).toEqual([{ session: [] }]);
    expect(doc.paths['/api/posts'].get.security).toBeUndefined();
    const ui = await ctx.app.inject({ method: 'GET', url: '/api/docs' });
    expect([200, 302]).toContain(ui.statusCode);
    const page = await ctx.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/swagger/i);
  });

  it('migrates a fresh database to PostGIS geography points, tstzrange windows and GiST indexes', async () => {
    const columns = rowsOf<{ table_name: string; column_name: string; type: string }>(
      await ctx.database.db.execute(sql`
        SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relname IN ('posts', 'post_windows') AND a.attnum > 0 AND NOT a.attisdropped`),
    );
    const typeOf = (t: string, c: string) => columns.find((r) => r.table_name === t && r.column_name === c)?.type;
    expect(typeOf('posts', 'location')).toBe('geography(Point,4326)');
    expect(typeOf('posts', 'public_location')).toBe('geography(Point,4326)');
    expect(typeOf('posts', 'destination')).toBe('geography(Point,4326)');
    expect(typeOf('post_windows', 'during')).toBe('tstzrange');
    expect(typeOf('posts', 'schedule')).toBe('tstzmultirange');
    const indexes = rowsOf<{ indexdef: string }>(
      await ctx.database.db.execute(sql`SELECT indexdef FROM pg_indexes WHERE tablename IN ('posts', 'post_windows')`),
    ).map((r) => r.indexdef);
    // Candidates: equality keys (btree_gist), the public point (candidates are found by public points), the schedule and its hours of the week (intarray) in one GiST, open posts only.
    expect(
      indexes.some((d) => /USING gist \(category, kind, public_location, schedule, week_hours gist__intbig_ops.*\) WHERE \(status = 'open'/.test(d)),
    ).toBe(true);
    expect(indexes.some((d) => /post_windows_post_during_key .* \(post_id, during\) INCLUDE \(recurring\)/.test(d))).toBe(true);
    expect(indexes.some((d) => /USING gist \(destination\)/.test(d))).toBe(true);
    expect(indexes.some((d) => /USING gist \(\(\(?public_location\)?::geometry\)\)/.test(d))).toBe(true);
    expect(indexes.some((d) => /USING gist \(during\)/.test(d))).toBe(true);
  });

  it('serves the built web app at / and lets the client route other paths', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toMatch(/<div id="app">/);
    const deep = await ctx.app.inject({ method: 'GET', url: '/posts/123' });
    expect(deep.statusCode).toBe(200);
    expect(deep.body).toMatch(/<div id="app">/);
    const asset = await ctx.app.inject({ method: 'GET', url: '/app.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    // The page is asked for again each time (a release shows at once); hashed assets are kept for good.
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(deep.headers['cache-control']).toBe('no-cache');
    const hashed = await ctx.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(hashed.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // The page carries the map's settings (as /api/config gives them), so the first screen asks for no more
    // before its tiles; every path's page is the same, and one already held is not sent again.
    const config = (await ctx.app.inject({ method: 'GET', url: '/api/config' })).json();
    const inPage = /<script type="application\/json" id="aidmap-config">(.*?)<\/script>/.exec(res.body)?.[1];
    expect(JSON.parse(inPage ?? 'null')).toEqual(config);
    expect(res.body).toContain('<link rel="preconnect" href="https://tile.openstreetmap.org" crossorigin>');
    expect(deep.body).toBe(res.body);
    expect((await ctx.app.inject({ method: 'GET', url: '/index.html' })).body).toBe(res.body);
    expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
    const again = await ctx.app.inject({ method: 'GET', url: '/posts/123', headers: { 'if-none-match': `"old", W/${String(res.headers.etag)}` } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    // A missing API path stays a problem, not the app's page.
    const api = await ctx.app.inject({ method: 'GET', url: '/api/posts/x/y' });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toMatch(/problem\+json/);
  });

  // Last: it closes this file's database.
  it('GET /api/health answers 503 when the database does not', async () => {
    await ctx.database.close();
    const res = await ctx.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'error', db: 'unreachable' });
  });
});
