// `npm run bench:lighthouse`: Lighthouse (mobile: a mid-range phone on a
// slow 4G connection, simulated) on the map page of the demo neighbourhood,
// as a first visitor opens it, against a floor: a bare page (one heading,
// no script) served from this machine, which shows what Lighthouse and this
// machine give a page that does nothing.
//
//   npm run bench:lighthouse            (RUNS=3)
//   LH_JSON=/tmp/lh.json npm run bench:lighthouse   (also keeps the last map page report)
//   LH_TRACE=/tmp/trace.json npm run bench:lighthouse (and its trace, for DevTools' Performance panel)
//   TILES=failing npm run bench:lighthouse          (the map's tiles unreachable, as before 2026-12-05)
//
// A real server (`server/main.ts --demo`, the built web app) on a fresh
// database (DATABASE_URL's server, default the local PostgreSQL; the
// embedded one without it is slower to start but the same page), Debian's
// Chromium on a DevTools port, and Lighthouse's Node API driving it. The
// map's tiles come from a tile server on this machine (TILE_URL), since it
// may have no route to a public one: each a generated 256 px PNG of 24.9
// KB, so the page loads, decodes and lays out its tiles as a visitor's
// would. Each figure is the median of RUNS. Targets (issue 16):
// performance >= 0.95, cumulative layout shift < 0.05.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import lighthouse from 'lighthouse';
import { CHROMIUM, CHROMIUM_ARGS, type Server, startServer } from '../e2e/browser';
import { intEnv, machineLoad } from './env';

const RUNS = intEnv('RUNS', 3);
/** `served` (default): tiles from a local tile server; `failing`: from an address nothing answers. */
const TILES = process.env.TILES ?? 'served';
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';

// The demo neighbourhood (Crown Heights), as the README's link would open it.
const MAP = '/?lat=40.6782&lng=-73.9442&zoom=15';

interface Figures {
  score: number;
  cls: number;
  tbtMs: number;
  lcpMs: number;
  fcpMs: number;
  siMs: number;
  /** Script bytes loaded (transfer size) and how many of them went unused by the first load. */
  jsBytes: number;
  unusedJsBytes: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function chromium(): Promise<{ port: number; stop(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'aidmap-lh-'));
  const child: ChildProcess = spawn(CHROMIUM, [...CHROMIUM_ARGS, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(err);
      if (m) {
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`Chromium exited (${code}):\n${err}`)));
  });
  return {
    port,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      // Chromium's helpers may still be writing its cache for a moment after the kill: a profile
      // left behind in the temporary directory is no reason to lose the figures printed above.
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      } catch (error) {
        console.warn(`could not remove ${profile}: ${(error as Error).message}`);
      }
    },
  };
}

async function audit(url: string, port: number): Promise<Figures> {
  const result = await lighthouse(url, { port, output: 'json', logLevel: 'error', onlyCategories: ['performance'] });
  if (!result) {
    throw new Error(`Lighthouse gave no result for ${url}`);
  }
  const { lhr } = result;
  if (process.env.LH_JSON && url.includes('lat=')) {
    writeFileSync(process.env.LH_JSON, JSON.stringify(lhr));
  }
  if (process.env.LH_TRACE && url.includes('lat=')) {
    writeFileSync(process.env.LH_TRACE, JSON.stringify(result.artifacts.Trace));
  }
  if (lhr.runtimeError) {
    throw new Error(`Lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
  }
  const n = (id: string) => lhr.audits[id]?.numericValue ?? NaN;
  const scripts = (lhr.audits['network-requests']?.details as { items?: { resourceType?: string; transferSize?: number }[] } | undefined)?.items ?? [];
  const unused = lhr.audits['unused-javascript']?.details as { overallSavingsBytes?: number } | undefined;
  return {
    score: lhr.categories.performance?.score ?? NaN,
    cls: n('cumulative-layout-shift'),
    tbtMs: n('total-blocking-time'),
    lcpMs: n('largest-contentful-paint'),
    fcpMs: n('first-contentful-paint'),
    siMs: n('speed-index'),
    jsBytes: scripts.filter((r) => r.resourceType === 'Script').reduce((sum, r) => sum + (r.transferSize ?? 0), 0),
    unusedJsBytes: unused?.overallSavingsBytes ?? 0,
  };
}

function line(name: string, runs: Figures[]): string {
  const m = (k: keyof Figures) => median(runs.map((r) => r[k]));
  return (
    `${name.padEnd(10)} score ${m('score').toFixed(2)} (runs ${runs.map((r) => r.score.toFixed(2)).join(', ')}), ` +
    `CLS ${m('cls').toFixed(3)}, TBT ${m('tbtMs').toFixed(0)} ms, LCP ${m('lcpMs').toFixed(0)} ms, FCP ${m('fcpMs').toFixed(0)} ms, SI ${m('siMs').toFixed(0)} ms, ` +
    `JS ${(m('jsBytes') / 1024).toFixed(0)} KB (unused at load ${(m('unusedJsBytes') / 1024).toFixed(0)} KB)`
  );
}

/** CRC-32 of PNG chunks (ISO 3309). */
function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) {
      c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
  }
  return ~c >>> 0;
}

/**
 * A 256 × 256 PNG standing in for a map tile (24.9 KB): streets as lines on
 * a light ground, with a little deterministic noise so it does not compress
 * to nothing as a flat image would.
 */
function tilePng(): Buffer {
  const size = 256;
  const raw = Buffer.alloc((size * 3 + 1) * size);
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 5) - 2;
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const street = x % 64 < 5 || y % 48 < 4 || Math.abs(x - y) < 3;
      const v = street ? 255 : 232 + noise();
      const o = y * (size * 3 + 1) + 1 + x * 3;
      raw[o] = v;
      raw[o + 1] = street ? 250 : v + 4;
      raw[o + 2] = street ? 240 : v - 6;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function main(): Promise<void> {
  console.log(`bench:lighthouse: ${RUNS} runs each; ${machineLoad()}`);
  const floor: HttpServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html lang="en"><meta name="viewport" content="width=device-width"><title>floor</title><h1>Aidmap</h1></html>');
  });
  await new Promise<void>((r) => floor.listen(0, '127.0.0.1', r));
  const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/`;
  const png = tilePng();
  let tilesServed = 0;
  const tiles: HttpServer = createServer((_req, res) => {
    tilesServed++;
    // The tile layer asks with CORS (crossOrigin), as for a public tile server.
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=86400' }).end(png);
  });
  await new Promise<void>((r) => tiles.listen(0, '127.0.0.1', r));
  const tileUrl = TILES === 'failing' ? 'http://127.0.0.1:9/{z}/{x}/{y}.png' : `http://127.0.0.1:${(tiles.address() as AddressInfo).port}/{z}/{x}/{y}.png`;
  console.log(TILES === 'failing' ? 'tiles: from an address nothing answers (they fail, and the page says so)' : `tiles: served from this machine, ${(png.length / 1024).toFixed(1)} KB each`);
  let server: Server | null = null;
  const browser = await chromium();
  try {
    server = await startServer({ TILE_URL: tileUrl }, ['--demo']);
    const results: Record<'floor' | 'map', Figures[]> = { floor: [], map: [] };
    // Warm the server (the first answers compile routes, fill caches): not measured.
    await audit(`${server.url}${MAP}`, browser.port);
    for (let i = 0; i < RUNS; i++) {
      results.floor.push(await audit(floorUrl, browser.port));
      results.map.push(await audit(`${server.url}${MAP}`, browser.port));
    }
    console.log(line('floor', results.floor));
    console.log(line('map page', results.map));
    if (TILES !== 'failing') {
      console.log(`tiles served: ${tilesServed} in ${RUNS + 1} loads of the map page`);
    }
    console.log('targets:   score >= 0.95, CLS < 0.05 (issue 16)');
    console.log(`${machineLoad()} at the end`);
  } finally {
    await browser.stop();
    await server?.stop();
    floor.close();
    tiles.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
