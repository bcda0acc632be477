// `npm run bench:lighthouse`: Lighthouse (mobile: a mid-range phone on a
// slow 4G connection, simulated) on the map page of the demo neighbourhood,
// as a first visitor opens it, against a floor: a bare page (one heading,
// no script) served from this machine, which shows what Lighthouse and this
// machine give a page that does nothing.
//
//   npm run bench:lighthouse            (RUNS=3)
//   LH_JSON=/tmp/lh.json npm run bench:lighthouse   (also keeps the last map page report)
//
// A real server (`server/main.ts --demo`, the built web app) on a fresh
// database (DATABASE_URL's server, default the local PostgreSQL; the
// embedded one without it is slower to start but the same page), Debian's
// Chromium on a DevTools port, and Lighthouse's Node API driving it. Each
// figure is the median of RUNS. Targets (issue 16): performance >= 0.95,
// cumulative layout shift < 0.05.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lighthouse from 'lighthouse';
import { CHROMIUM, CHROMIUM_ARGS, type Server, startServer } from '../e2e/browser';
import { intEnv, machineLoad } from './env';

const RUNS = intEnv('RUNS', 3);
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

async function main(): Promise<void> {
  console.log(`bench:lighthouse: ${RUNS} runs each; ${machineLoad()}`);
  const floor: HttpServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html lang="en"><meta name="viewport" content="width=device-width"><title>floor</title><h1>Aidmap</h1></html>');
  });
  await new Promise<void>((r) => floor.listen(0, '127.0.0.1', r));
  const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/`;
  let server: Server | null = null;
  const browser = await chromium();
  try {
    server = await startServer({}, ['--demo']);
    const results: Record<'floor' | 'map', Figures[]> = { floor: [], map: [] };
    // Warm the server (the first answers compile routes, fill caches): not measured.
    await audit(`${server.url}${MAP}`, browser.port);
    for (let i = 0; i < RUNS; i++) {
      results.floor.push(await audit(floorUrl, browser.port));
      results.map.push(await audit(`${server.url}${MAP}`, browser.port));
    }
    console.log(line('floor', results.floor));
    console.log(line('map page', results.map));
    console.log('targets:   score >= 0.95, CLS < 0.05 (issue 16)');
    console.log(`${machineLoad()} at the end`);
  } finally {
    await browser.stop();
    await server?.stop();
    floor.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
