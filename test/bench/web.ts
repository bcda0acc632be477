// Bench: the map page on a phone with thousands of posts in view.
//
//   npm run bench:web        (POSTS=5000 UPDATES=30 CPU_THROTTLE=4 by default)
//
// A real server (server/main.ts, the built web app) on a fresh PostgreSQL
// database (DATABASE_URL's server; default the local one), Debian's Chromium
// at 390×844 with its CPU slowed CPU_THROTTLE times (DevTools' throttling: a
// cheap phone is about 4× slower than this machine's cores). Two phases on
// one page load each:
//
//   floor     the same page, the same area, nothing posted there yet; the
//             same live updates arrive.
//   measured  POSTS open posts in view (copied in SQL from real ones made
//             through the API, spread over the viewport), then the updates.
//
// For each it prints: the first load (navigation → the list says how many
// posts are in view), long tasks (> 50 ms, the browser's own count) during it;
// for UPDATES posts created through the API in view, seen live: the time the
// page spends on each event (its message task, microtasks included), to the
// next frame, the DOM nodes added/removed and attributes changed per event;
// and the delay of taps on list cards and a zoom out/in (Event Timing API).
// No assertions: figures and the floor they compare against.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { launch, phone, type Server, startServer } from '../e2e/browser';
import { seedCopies } from './copies';
import { machineLoad } from './env';
import { type CpuProfile, percentile, selfTimes } from './figures';

const POSTS = Number(process.env.POSTS ?? 5000);
const UPDATES = Number(process.env.UPDATES ?? 30);
const THROTTLE = Number(process.env.CPU_THROTTLE ?? 4);
/** PROFILE=1: a CPU profile of the page during the live updates, its top functions by self time. */
const PROFILE = process.env.PROFILE === '1';
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';

// A zoom-14 phone view over Crown Heights; posts are spread over what the map shows.
const VIEW = { lat: 40.6694, lng: -73.9422, zoom: 14 };
const SPREAD = { lat: 0.016, lng: 0.012 };
const PASSWORD = 'bench-web-password-1';

interface PageFigures {
  loadMs: number;
  inView: number;
  listing: { requests: number; bytes: number; bodyBytes: number };
  loadLongTasks: { count: number; totalMs: number; maxMs: number; blockingMs: number };
  domNodes: number;
  markers: number;
  listItems: number;
  updates: { n: number; taskMs: number[]; frameMs: number[]; added: number[]; removed: number[]; attributes: number[]; longTasks: number };
  taps: number[];
  zoom: { eventMs: number; settledMs: number; longTasks: number; maxLongTaskMs: number; zoomOutRequests: number; zoomInRequests: number };
}

// Installed before the app's code: long tasks, event timing, every socket
// message (the listener added in the constructor runs before the app's
// `onmessage`), and a mutation log switched on after the first load.
const PROBE = `(() => {
  const b = (window.__bench = { longTasks: [], events: [], msgs: [], mutations: [], observing: false });
  new PerformanceObserver((l) => { for (const e of l.getEntries()) b.longTasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true });
  new PerformanceObserver((l) => { for (const e of l.getEntries()) b.events.push([e.name, e.startTime, e.duration]); }).observe({ type: 'event', durationThreshold: 16, buffered: true });
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        let type = '';
        try { type = JSON.parse(ev.data).type; } catch {}
        const rec = { type, t0: performance.now(), t1: 0, frame: 0 };
        b.msgs.push(rec);
        setTimeout(() => (rec.t1 = performance.now()));
        // The app draws live posts in the next animation frame: this runs once that frame's callbacks are done.
        requestAnimationFrame(() => setTimeout(() => (rec.frame = performance.now())));
      });
    }
  };
  new MutationObserver((records) => {
    if (!b.observing) return;
    let added = 0, removed = 0, attributes = 0;
    for (const r of records) { added += r.addedNodes.length; removed += r.removedNodes.length; if (r.type === 'attributes') attributes++; }
    b.mutations.push([performance.now(), added, removed, attributes]);
  }).observe(document, { subtree: true, childList: true, attributes: true });
})();`;

interface Probe {
  longTasks: [number, number][];
  events: [string, number, number][];
  msgs: { type: string; t0: number; t1: number; frame: number }[];
  mutations: [number, number, number, number][];
  observing: boolean;
}

type ProbeWindow = { __bench: Probe };

async function json(server: Server, method: string, path: string, body: unknown, cookie?: string): Promise<{ status: number; body: unknown; cookie?: string }> {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  const setCookie = r.headers.get('set-cookie')?.split(';')[0];
  return { status: r.status, body: await r.json().catch(() => null), ...(setCookie ? { cookie: setCookie } : {}) };
}

const CATEGORIES = ['ride', 'meal', 'tutoring', 'grocery', 'errand', 'childcare', 'repair', 'lending', 'companionship', 'other'];
let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

function postBody(i: number): Record<string, unknown> {
  const category = CATEGORIES[i % CATEGORIES.length]!;
  const kind = i % 2 === 0 ? 'need' : 'offer';
  const start = new Date(Date.now() + (1 + (i % 6)) * 86_400_000);
  start.setUTCHours(14 + (i % 8), 0, 0, 0);
  return {
    kind,
    category,
    title: `${kind === 'need' ? 'Looking for' : 'Can help with'} ${category} #${i}`,
    description: 'Message me to sort out the details.',
    location: { lat: Number((VIEW.lat + (random() * 2 - 1) * SPREAD.lat).toFixed(6)), lng: Number((VIEW.lng + (random() * 2 - 1) * SPREAD.lng).toFixed(6)) },
    radiusM: 2000,
    windows: [{ start: start.toISOString(), end: new Date(start.getTime() + 2 * 3_600_000).toISOString() }],
    capacity: 1,
    details: category === 'ride' && kind === 'need' ? { destination: { lat: 40.68, lng: -73.95 } } : category === 'tutoring' ? { subject: 'Reading' } : {},
  };
}

function stats(xs: number[]): string {
  if (xs.length === 0) {
    return 'none';
  }
  const s = [...xs].sort((a, b) => a - b);
  const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  return `p50 ${f(percentile(s, 50))} · p95 ${f(percentile(s, 95))} · max ${f(s[s.length - 1]!)}`;
}

async function countInView(page: Page): Promise<number> {
  return page.evaluate(() => {
    const text = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('.count')?.textContent ?? '';
    const m = /\d[\d,.]*/.exec(text);
    return m ? Number(m[0].replace(/[,.]/g, '')) : 0;
  });
}

async function waitInView(page: Page, atLeast: number, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countInView(page);
    if (n >= atLeast) {
      return n;
    }
    if (Date.now() > deadline) {
      throw new Error(`the page shows ${n} posts in view, expected ${atLeast}`);
    }
    await sleep(50);
  }
}

async function phase(server: Server, browser: Awaited<ReturnType<typeof launch>>, expected: number, poster: string, first: number): Promise<PageFigures> {
  const context = await phone(browser);
  await context.addInitScript({ content: PROBE });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`  page error: ${error.message}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
  const progress = (s: string) => process.stderr.write(`  … ${s}\n`);
  progress('opening the page');
  await page.goto(`${server.url}/?lat=${VIEW.lat}&lng=${VIEW.lng}&zoom=${VIEW.zoom}`);
  const inView = await waitInView(page, expected);
  progress(`${inView} posts in view`);
  const loadMs = await page.evaluate(() => performance.now());
  await sleep(1000);
  const load = await page.evaluate(() => {
    const d = (globalThis as unknown as { document: { getElementsByTagName(t: string): { length: number }; querySelectorAll(s: string): { length: number } } }).document;
    const b = (globalThis as unknown as ProbeWindow).__bench;
    const tasks = b.longTasks.map(([, d]) => d);
    b.observing = true;
    b.msgs.length = 0;
    b.longTasks.length = 0;
    b.events.length = 0;
    const listings = (performance.getEntriesByType('resource') as unknown as { name: string; transferSize: number; decodedBodySize: number }[]).filter((e) => e.name.includes('/api/posts?'));
    return {
      tasks,
      listingRequests: listings.length,
      listingBytes: listings.reduce((s, e) => s + e.transferSize, 0),
      listingBodyBytes: listings.reduce((s, e) => s + e.decodedBodySize, 0),
      domNodes: d.getElementsByTagName('*').length,
      markers: d.querySelectorAll('.leaflet-marker-icon').length,
      listItems: d.querySelectorAll('.posts > li').length,
    };
  });

  // Live updates, one at a time: posted by another neighbor, in view.
  if (PROFILE) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  for (let i = 0; i < UPDATES; i++) {
    const r = await json(server, 'POST', '/api/posts', postBody(first + i), poster);
    if (r.status !== 201) {
      throw new Error(`POST /api/posts: ${r.status} ${JSON.stringify(r.body)}`);
    }
    await waitInView(page, inView + i + 1, 30_000);
    progress(`update ${i + 1} shown`);
    await sleep(250);
  }
  if (PROFILE) {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
    console.log('  profile during the updates (self time, ms):');
    for (const { name, ms } of selfTimes(profile, 20)) {
      console.log(`    ${ms.toFixed(1).padStart(8)}  ${name}`);
    }
  }
  const updates = await page.evaluate(() => {
    const b = (globalThis as unknown as ProbeWindow).__bench;
    const msgs = b.msgs.filter((m) => m.type === 'post.created');
    const out = { n: msgs.length, taskMs: [] as number[], frameMs: [] as number[], added: [] as number[], removed: [] as number[], attributes: [] as number[], longTasks: b.longTasks.length };
    for (const [k, m] of msgs.entries()) {
      const until = msgs[k + 1]?.t0 ?? Infinity;
      const mine = b.mutations.filter(([t]) => t >= m.t0 && t < until);
      out.taskMs.push(m.t1 - m.t0);
      out.frameMs.push(m.frame - m.t0);
      out.added.push(mine.reduce((s, x) => s + x[1], 0));
      out.removed.push(mine.reduce((s, x) => s + x[2], 0));
      out.attributes.push(mine.reduce((s, x) => s + x[3], 0));
    }
    b.observing = false;
    b.events.length = 0;
    b.longTasks.length = 0;
    return out;
  });

  // Taps on the cards' "On map" buttons (select ↔ highlight the marker).
  const cards = page.locator('.posts > li > button.locate');
  for (let i = 0; i < 5; i++) {
    await cards.nth(i).click();
    await sleep(300);
  }
  const taps = await page.evaluate(() => {
    const b = (globalThis as unknown as ProbeWindow).__bench;
    const out = b.events.filter(([name]) => name === 'click' || name === 'pointerup' || name === 'pointerdown').map(([, , d]) => d);
    b.events.length = 0;
    b.longTasks.length = 0;
    return out;
  });

  // Zoom out and back: the map redraws its clusters, the view reloads.
  let inFlight = 0;
  let lastDone = 0;
  let requested = 0;
  const isListing = (url: string) => url.includes('/api/posts?');
  page.on('request', (r) => {
    if (isListing(r.url())) {
      inFlight++;
      requested++;
    }
  });
  const done = (r: { url(): string }) => {
    if (isListing(r.url())) {
      inFlight--;
      lastDone = Date.now();
    }
  };
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  progress('zooming out');
  await page.getByRole('button', { name: 'Zoom out' }).click();
  await sleep(500);
  while (inFlight > 0) {
    await sleep(50);
  }
  const zoomOutRequests = requested;
  progress('zooming in');
  const zoomIn = Date.now();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  // Settled: no listing in flight for 1 s.
  await sleep(1000);
  while (inFlight > 0 || Date.now() - lastDone < 1000) {
    await sleep(50);
  }
  await waitInView(page, inView + UPDATES);
  const settledMs = Math.max(0, lastDone - zoomIn);
  const zoomInRequests = requested - zoomOutRequests;
  const zoomFigures = await page.evaluate(() => {
    const b = (globalThis as unknown as ProbeWindow).__bench;
    const clicks = b.events.filter(([name]) => name === 'click').map(([, , d]) => d);
    return { eventMs: Math.max(0, ...clicks), longTasks: b.longTasks.length, maxLongTaskMs: Math.max(0, ...b.longTasks.map(([, d]) => d)) };
  });
  await context.close();
  const tasks = load.tasks;
  return {
    loadMs,
    inView,
    listing: { requests: load.listingRequests, bytes: load.listingBytes, bodyBytes: load.listingBodyBytes },
    loadLongTasks: {
      count: tasks.length,
      totalMs: tasks.reduce((s, d) => s + d, 0),
      maxMs: Math.max(0, ...tasks),
      blockingMs: tasks.reduce((s, d) => s + Math.max(0, d - 50), 0),
    },
    domNodes: load.domNodes,
    markers: load.markers,
    listItems: load.listItems,
    updates,
    taps,
    zoom: { ...zoomFigures, settledMs, zoomOutRequests, zoomInRequests },
  };
}

function report(name: string, f: PageFigures): void {
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(`\n${name}: ${f.inView} posts in view`);
  console.log(`  first load: ${ms(f.loadMs)} to the list's count; long tasks ${f.loadLongTasks.count} (total ${ms(f.loadLongTasks.totalMs)}, max ${ms(f.loadLongTasks.maxMs)}, blocking ${ms(f.loadLongTasks.blockingMs)})`);
  console.log(`  listing: ${f.listing.requests} requests, ${(f.listing.bytes / 1024).toFixed(0)} KB transferred (${(f.listing.bodyBytes / 1024).toFixed(0)} KB of JSON)`);
  console.log(`  DOM: ${f.domNodes} elements, ${f.markers} markers, ${f.listItems} list items`);
  const u = f.updates;
  console.log(`  live post.created (${u.n} events): page task ${stats(u.taskMs)} ms; to next frame ${stats(u.frameMs)} ms; long tasks ${u.longTasks}`);
  console.log(`    per event: nodes added ${stats(u.added)}, removed ${stats(u.removed)}, attributes changed ${stats(u.attributes)}`);
  console.log(`  taps on list cards (event duration ≥ 16 ms recorded): ${f.taps.length === 0 ? 'none over 16 ms' : stats(f.taps) + ' ms'}`);
  console.log(`  zoom out + in: slowest click ${ms(f.zoom.eventMs)}, long tasks ${f.zoom.longTasks} (max ${ms(f.zoom.maxLongTaskMs)}), listing requests: ${f.zoom.zoomOutRequests} for the zoom out, ${f.zoom.zoomInRequests} for the zoom in (last answered ${ms(f.zoom.settledMs)} after it)`);
}

async function main(): Promise<void> {
  console.log(`bench:web — POSTS=${POSTS} UPDATES=${UPDATES} CPU_THROTTLE=${THROTTLE}× (Chromium at 390×844); ${machineLoad()}`);
  const server = await startServer({ LOG_LEVEL: 'error', TILE_URL: 'http://127.0.0.1:9/{z}/{x}/{y}.png', RATE_LIMIT_SCALE: '1000000' });
  const browser = await launch();
  try {
    const signup = async (k: number) => {
      const r = await json(server, 'POST', '/api/auth/signup', { email: `web-bench-${k}@example.org`, password: PASSWORD, displayName: `Neighbor ${k}` });
      if (!r.cookie) {
        throw new Error(`signup: ${r.status} ${JSON.stringify(r.body)}`);
      }
      return r.cookie;
    };
    const poster = await signup(1);
    const floor = await phase(server, browser, 0, poster, 0);
    report('floor (same page and updates, nothing in view before)', floor);

    if (!server.databaseUrl) {
      throw new Error('bench:web seeds in SQL: it needs PostgreSQL (DATABASE_URL)');
    }
    const t = Date.now();
    await seedCopies(server.databaseUrl, POSTS, { ...VIEW, spread: SPREAD });
    console.log(`\nseeded ${POSTS} open posts in view in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const measured = await phase(server, browser, POSTS, poster, UPDATES);
    report(`measured (${POSTS} posts)`, measured);
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
