// `npm run bench:live`: how fast new posts reach the live sockets (/ws) that
// watch them, at 10,000 sockets and 200 posts a second, against the floor:
// the same frames sent by a bare `ws` server (test/bench/live/floor.ts) to
// the same sockets.
//
//   npm run bench:live
//   CLIENTS=2000 RATE=50 SECONDS=10 npm run bench:live
//
// One command from a clean clone (after `npm ci`, with PostgreSQL + PostGIS
// on 127.0.0.1). The processes: this driver (creates posts through the HTTP
// API on a fixed schedule, keep-alive, 32 connections), the server(s)
// (`node --import tsx server/main.ts`, children), and one client process
// (test/bench/live/clients.ts, forked) holding every socket. Times are
// CLOCK_MONOTONIC (process.hrtime.bigint) in every process, so a time taken
// here and a receipt in the client process subtract. Latency is given from
// three points: the 201 (as the issue asks), the post's commit (the driver
// LISTENs on the hub's channel; see CommitClock) and the scheduled send.
//
// Phases, all in one run:
//   one   one server process, N sockets, posts at RATE: latencies,
//         deliveries (checked against the expected recipients: every socket
//         whose box holds the event's point), events/s, server RSS per idle
//         connection, CPU by process, what the database connections wait on;
//   floor the bare ws server, the same N sockets and viewports, phase one's
//         frames (rebuilt byte for byte from the events table), (a) at RATE:
//         the throughput floor, and (b) each at its post's commit time in
//         phase one: the latency floor under the same load;
//   two   two server processes on the one database, half the sockets on each,
//         posts through the first only: latency on each (cross-process on B);
//   write one server process, N sockets open, POST /api/posts closed loop at
//         each of WRITE_CONCURRENCY for WRITE_S: posts/s, the follow-up jobs
//         (suggestions, alerts) drained after, and the floor: the same rows
//         (post, windows, event, job) written by a bare postgres.js client at
//         the same concurrency (test/bench/live/write.ts). Target (issue 17):
//         >= 500 posts/s, and <= 1.5x the floor.
//
// Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/aidmap_live_bench;
// dropped and re-created each run when it is that database or one this
// script created, refused otherwise), CLIENTS (10,000), RATE (posts/s, 200),
// SECONDS (measured, 30), WARMUP_S (posting before the measured window, 5),
// SIGNED_PCT (signed-in sockets, 1), POSTERS (accounts posting, 40), IDLE_S
// (idle before reading RSS, 5), MAX_BACKLOG_S (more than RATE x this
// requests waiting: further sends are shed and counted, so an overloaded
// server cannot stretch the run without end; 5), PHASES (one,floor,two,write),
// WRITE_CONCURRENCY (1,32), WRITE_S (10),
// SEED (1), SERVER_NODE_ARGS (extra node flags for the servers, say
// --cpu-prof). Targets (the live-updates issue): p99 <= 100 ms at 10,000
// sockets and 200 posts/s; <= 20 KB of server memory per idle connection;
// throughput within 1.5x of the floor. Published anchors: Node ws 361 ms
// p95 at 10k clients, Centrifugo 200 ms p99.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { type BBox, type Command, type Event, type Latency, latency, nowNs, type PostTiming, type Report } from './live/shared';
import { intEnv } from './env';
import { prng as rng } from '../random';
import { closedLoop, drainJobs, dropFloor, floorInsert, prepareFloor, type Rate } from './live/write';

const ROOT = join(import.meta.dirname, '../..');
const DEFAULT_DB = 'postgres://postgres@127.0.0.1:5432/aidmap_live_bench';
const databaseUrl = process.env.DATABASE_URL || DEFAULT_DB;
const CLIENTS = intEnv('CLIENTS', 10_000);
const RATE = intEnv('RATE', 200);
const SECONDS = intEnv('SECONDS', 30);
const WARMUP_S = intEnv('WARMUP_S', 5, 0);
const SIGNED_PCT = Number(process.env.SIGNED_PCT || 1);
if (!(SIGNED_PCT >= 0 && SIGNED_PCT <= 100)) {
  console.error(`SIGNED_PCT must be a percentage, got "${process.env.SIGNED_PCT}"`);
  process.exit(2);
}
const POSTERS = intEnv('POSTERS', 40);
const IDLE_S = intEnv('IDLE_S', 5, 0);
const MAX_BACKLOG_S = intEnv('MAX_BACKLOG_S', 5);
const SEED = intEnv('SEED', 1);
const PHASES = new Set((process.env.PHASES ?? 'one,floor,two,write').split(',').map((s) => s.trim()));
const WRITE_CONCURRENCY = (process.env.WRITE_CONCURRENCY ?? '1,32').split(',').map((c) => {
  const n = Number(c.trim());
  if (!Number.isInteger(n) || n < 1) {
    console.error(`WRITE_CONCURRENCY must be whole numbers of at least 1, comma-separated, got "${process.env.WRITE_CONCURRENCY}"`);
    process.exit(2);
  }
  return n;
});
const WRITE_S = intEnv('WRITE_S', 10);
const TARGET = { p99Ms: 100, kbPerConn: 20, ratio: 1.5, postsPerS: 500, writeRatio: 1.5 };
const MARK = 'aidmap bench:live scratch database: dropped and re-created by npm run bench:live';
const PASSWORD = 'correct horse battery';


const log = (s = '') => console.log(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmtInt = (x: number) => Math.round(x).toLocaleString('en');
const ms = (x: number) => (Number.isNaN(x) ? '—' : Math.abs(x) >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;

// ---------------------------------------------------------------------------
// The metro area (New York City) and the viewports.
// ---------------------------------------------------------------------------

const METRO = { south: 40.55, north: 40.9, west: -74.05, east: -73.75 };
const KM_PER_DEG_LAT = 111.32;
const KM_PER_DEG_LNG = 111.32 * Math.cos((((METRO.south + METRO.north) / 2) * Math.PI) / 180);
/** A phone or laptop map of a neighborhood: ~5 km east–west by ~3 km north–south, scaled 0.8–1.2. */
const VIEW_KM = { w: 5, h: 3 };


function viewports(n: number, random: () => number): Float64Array {
  const out = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    const scale = 0.8 + 0.4 * random();
    const dLat = (VIEW_KM.h * scale) / KM_PER_DEG_LAT;
    const dLng = (VIEW_KM.w * scale) / KM_PER_DEG_LNG;
    const south = METRO.south + random() * (METRO.north - METRO.south - dLat);
    const west = METRO.west + random() * (METRO.east - METRO.west - dLng);
    const box: BBox = [west, south, west + dLng, south + dLat];
    out.set(box.map((x) => Number(x.toFixed(6))), 4 * i);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Posts: a mutual-aid mix over the metro, windows a few days ahead of the
// real clock (the server uses it), some weekly.
// ---------------------------------------------------------------------------

const CATEGORIES: [string, number, string[]][] = [
  ['ride', 0.14, ['Ride to a medical appointment', 'Ride to the food pantry', 'Driving downtown weekday mornings']],
  ['meal', 0.16, ['Meals for a family after surgery', 'Extra soup on Wednesdays', 'Vegetarian Sunday dinners']],
  ['tutoring', 0.08, ['Algebra help for my daughter', 'ESL tutor, Spanish speaker', 'Reading help for early readers']],
  ['grocery', 0.15, ['Weekly grocery pickup', 'I shop on Saturdays, can bring yours']],
  ['errand', 0.12, ['Pick up a prescription', 'Post office and pharmacy runs']],
  ['childcare', 0.07, ['School pickup on Friday', 'Babysitting evenings']],
  ['repair', 0.08, ['Leaky kitchen faucet', 'Bike repairs on weekends']],
  ['lending', 0.06, ['Borrow a drill for an afternoon', 'Tools to lend']],
  ['companionship', 0.09, ['Walking buddy after hip surgery', 'Phone calls with an older neighbor']],
  ['other', 0.05, ['Help filling in a benefits form', 'Tech help for seniors']],
];
const DIETARY = ['vegetarian', 'vegan', 'halal', 'kosher', 'gluten-free', 'nut-free', 'dairy-free'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function metroPoint(random: () => number): { lat: number; lng: number } {
  const r6 = (x: number) => Number(x.toFixed(6));
  return { lat: r6(METRO.south + random() * (METRO.north - METRO.south)), lng: r6(METRO.west + random() * (METRO.east - METRO.west)) };
}

function postBody(random: () => number): Record<string, unknown> {
  let u = random();
  let [category, , titles] = CATEGORIES[0]!;
  for (const c of CATEGORIES) {
    if (u < c[1]) {
      [category, , titles] = c;
      break;
    }
    u -= c[1];
  }
  const kind = random() < 0.55 ? 'need' : 'offer';
  const details: Record<string, unknown> = {};
  if (category === 'meal') {
    details.dietary = DIETARY.filter(() => random() < 0.25);
  } else if (category === 'ride' && kind === 'need') {
    details.destination = metroPoint(random);
  } else if (category === 'tutoring') {
    details.subject = ['Math', 'English', 'Reading', 'Chemistry'][Math.floor(random() * 4)];
  }
  const counted = category === 'ride' || category === 'meal' || category === 'tutoring';
  const times: Record<string, unknown> = {};
  if (random() < 0.2) {
    const days = DAYS.filter(() => random() < 0.3);
    times.recurrence = { days: days.length > 0 ? days : ['sat'], startTime: '17:00', endTime: '19:00', timezone: 'America/New_York' };
  } else {
    const start = new Date(Date.now() + (2 + Math.floor(random() * 5)) * 86_400_000);
    start.setUTCMinutes(0, 0, 0);
    start.setUTCHours(13 + Math.floor(random() * 9));
    const end = new Date(start.getTime() + (1 + Math.floor(random() * 3)) * 3_600_000);
    times.windows = [{ start: start.toISOString(), end: end.toISOString() }];
  }
  return {
    kind,
    category,
    title: titles[Math.floor(random() * titles.length)]!,
    description: 'Message me to sort out the details.',
    location: metroPoint(random),
    radiusM: 500 + Math.floor(random() * 4500),
    ...times,
    capacity: counted ? 1 + Math.floor(random() * 4) : 1,
    details,
  };
}

// ---------------------------------------------------------------------------
// HTTP (keep-alive, node:http) and the processes.
// ---------------------------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

interface HttpResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** When the status line arrived. */
  atNs: number;
}

function http(port: number, method: string, path: string, body?: unknown, cookie?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(cookie ? { cookie } : {}),
        },
      },
      (res) => {
        const atNs = nowNs();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers, atNs }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) {
    c.kill('SIGKILL');
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.exit(130));
}

interface Proc {
  label: string;
  child: ChildProcess;
  port: number;
  pid: number;
  output: string[];
  stop(): Promise<void>;
}

/** Starts a server (ours or the floor) with node directly (STACK.md trap 9) and waits for its health check. */
async function startProcess(label: string, args: string[], env: NodeJS.ProcessEnv, healthPath: string): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const output: string[] = [];
  const take = (d: Buffer) => output.push(...d.toString('utf8').split('\n').filter((l) => l.trim() !== ''));
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${label} exited with ${child.exitCode}:\n${output.slice(-30).join('\n')}`);
    }
    try {
      if ((await http(port, 'GET', healthPath)).status === 200) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${label} did not answer ${healthPath} within 120 s:\n${output.slice(-30).join('\n')}`);
    }
    await sleep(100);
  }
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`\n${label} (pid ${child.pid}) exited unexpectedly (${signal ?? code}); its last output:\n${output.slice(-40).join('\n')}`);
      process.exit(1);
    }
  });
  return {
    label,
    child,
    port,
    pid: child.pid!,
    output,
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
      children.delete(child);
    },
  };
}

/** Extra node flags for the server processes, for diagnosis (say `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
const SERVER_NODE_ARGS = (process.env.SERVER_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
const startServer = (label: string) =>
  startProcess(
    label,
    [...SERVER_NODE_ARGS, '--import', 'tsx', 'server/main.ts'],
    // One load generator posts for many people, and opens every socket, from one IP: the per-IP and per-account limits would refuse it.
    { DATABASE_URL: databaseUrl, HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_SCALE: '1000000', WS_MAX_PER_IP: '1000000' },
    '/api/health',
  );
const startFloor = () => startProcess('floor', ['--import', 'tsx', join(import.meta.dirname, 'live/floor.ts')], {}, '/health');

/** `uptime`'s load averages (1, 5, 15 minutes). */
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Resident memory of a process, bytes. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** CPU seconds a process has used (user + system). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ = 100 on Linux
}

/** The machine's busy and total CPU time so far (all cores), in USER_HZ ticks. */
function machineCpu(): { busy: number; total: number } {
  const [, ...xs] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const v = xs.map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - v[3]! - v[4]!, total };
}

/** The client process, and the events it sends back. */
class Clients {
  readonly child: ChildProcess;
  private waiting = new Map<string, (e: Event) => void>();

  constructor() {
    this.child = fork(join(import.meta.dirname, 'live/clients.ts'), [], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(this.child);
    this.child.on('message', (e: Event) => {
      const fn = this.waiting.get(e.ev);
      this.waiting.delete(e.ev);
      fn?.(e);
    });
    this.child.on('exit', (code) => {
      if (code !== 0 && code !== null) {
        console.error(`the client process exited with ${code}`);
        process.exit(1);
      }
    });
  }

  next<K extends Event['ev']>(ev: K, timeoutMs = 600_000): Promise<Extract<Event, { ev: K }>> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`client process: no "${ev}" within ${timeoutMs / 1000} s`)), timeoutMs);
      this.waiting.set(ev, (e) => {
        clearTimeout(t);
        resolve(e as Extract<Event, { ev: K }>);
      });
    });
  }

  ask<K extends Event['ev']>(command: Command, ev: K): Promise<Extract<Event, { ev: K }>> {
    const answer = this.next(ev);
    this.child.send(command);
    return answer;
  }
}

// ---------------------------------------------------------------------------
// The database.
// ---------------------------------------------------------------------------

/** Drops and re-creates the benchmark database (only the default one or one this script marked). */
async function freshDatabase(): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
  const quoted = `"${name.replace(/"/g, '""')}"`;
  try {
    const [row] = await admin<{ exists: boolean; comment: string | null }[]>`
      SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${name}) AS exists,
             (SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = ${name}) AS comment`;
    if (row!.exists) {
      if (databaseUrl !== DEFAULT_DB && row!.comment !== MARK) {
        throw new Error(
          `${name} exists and was not created by bench:live; it is never wiped. Point DATABASE_URL at a new database name (it is created) or unset it.`,
        );
      }
      await admin.unsafe(`DROP DATABASE ${quoted} WITH (FORCE)`);
    }
    await admin.unsafe(`CREATE DATABASE ${quoted}`);
    await admin.unsafe(`COMMENT ON DATABASE ${quoted} IS '${MARK}'`);
  } catch (error) {
    throw new Error(`bench:live could not prepare ${databaseUrl.replace(/\/\/[^@/]*@/, '//')}: ${(error as Error).message}`, { cause: error });
  } finally {
    await admin.end({ timeout: 5 });
  }
}

// ---------------------------------------------------------------------------
// Driving posts at a steady rate.
// ---------------------------------------------------------------------------

interface Sent {
  i: number;
  sendNs: number;
  ackNs: number;
  status: number;
  id: string | null;
  error?: string;
}

type Fired = HttpResult & { id?: string };

/**
 * Fires `total` requests on a fixed schedule, request i at `at(i)` ns
 * after the start (open loop: a slow answer does not delay the next send,
 * so a backlog shows as latency from the scheduled send). Beyond
 * `maxInFlight` requests waiting, sends are shed (counted) rather than
 * queued without end. `onMark` runs when request `warmup` is due.
 */
async function drive(
  total: number,
  at: (i: number) => number,
  warmup: number,
  fire: (i: number) => Promise<Fired>,
  onMark: () => void,
  maxInFlight = RATE * MAX_BACKLOG_S,
): Promise<{ sent: Sent[]; skipped: number }> {
  const start = nowNs();
  const sent: Promise<Sent>[] = [];
  let inFlight = 0;
  let skipped = 0;
  let i = 0;
  while (i < total) {
    const elapsed = nowNs() - start;
    while (i < total && at(i) <= elapsed) {
      if (i === warmup) {
        onMark();
      }
      const k = i++;
      if (inFlight >= maxInFlight) {
        skipped++;
        continue;
      }
      const sendNs = start + at(k);
      inFlight++;
      sent.push(
        fire(k)
          .then(
            (r): Sent => ({ i: k, sendNs, ackNs: r.atNs, status: r.status, id: r.status === 201 || r.status === 200 ? (r.id ?? null) : null }),
            (error: Error): Sent => ({ i: k, sendNs, ackNs: NaN, status: 0, id: null, error: error.message }),
          )
          .finally(() => inFlight--),
      );
    }
    await sleep(1);
  }
  return { sent: await Promise.all(sent), skipped };
}

/** Request i at i / RATE seconds. */
const steady = (i: number) => (i * 1e9) / RATE;

/** Waits until the client process has received nothing new for `quietMs` (deliveries of a backlog keep coming). */
async function drain(clients: Clients, quietMs = 2000, maxMs = 120_000): Promise<void> {
  const started = Date.now();
  let last = -1;
  let since = Date.now();
  while (Date.now() - started < maxMs) {
    const { count } = await clients.ask({ cmd: 'count' }, 'count');
    if (count !== last) {
      last = count;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return;
    }
    await sleep(250);
  }
}

/**
 * Commit times: the driver LISTENs on the hub's channel too. Each
 * transaction that appends events NOTIFYs once at commit, in `seq` order
 * (appends hold an advisory lock to the commit, and PostgreSQL queues a
 * transaction's notifications before releasing its locks), so the k-th
 * notification heard belongs to the k-th transaction in `seq` order
 * (events grouped by `xmin`). Checked: the counts must agree, else no
 * commit times are given.
 */
class CommitClock {
  readonly notes: number[] = [];
  constructor(readonly sql: postgres.Sql) {}

  async start(): Promise<void> {
    await this.sql.listen('aidmap_events', () => {
      this.notes.push(nowNs());
    });
  }

  /** From `seq` on: the commit time of each event's transaction, by seq (empty when the counts disagree). */
  async since(seq: number, heard: number[]): Promise<{ bySeq: Map<number, number>; transactions: number; notes: number }> {
    const rows = await this.sql<{ seq: string; x: string }[]>`SELECT seq::text AS seq, xmin::text AS x FROM events WHERE seq > ${seq} ORDER BY events.seq`;
    const groups: number[][] = [];
    let last: string | null = null;
    for (const r of rows) {
      if (r.x !== last) {
        groups.push([]);
        last = r.x;
      }
      groups[groups.length - 1]!.push(Number(r.seq));
    }
    const bySeq = new Map<number, number>();
    if (groups.length === heard.length) {
      groups.forEach((g, k) => g.forEach((q) => bySeq.set(q, heard[k]!)));
    }
    return { bySeq, transactions: groups.length, notes: heard.length };
  }
}

// ---------------------------------------------------------------------------
// Main.
// ---------------------------------------------------------------------------

interface PhaseResult {
  name: string;
  report: Report;
  posts: { sent: number; skipped: number; ok: number; failed: Record<string, number>; achieved: number; postLatency: Latency | null };
  cpu: Record<string, number>;
  loopDelayMs: { p50: number; p99: number; max: number };
  opened: { ok: number; failed: number; ms: number; errors: Record<string, number> };
  commits: string;
  /** From the post's commit to its 201: the suggestions and the answer. */
  commitToAck: Latency | null;
  /** The servers' busy database connections, on average, by what they were doing. */
  connections: string;
  rss?: { before: number; after: number; perConn: number };
}

function statusCounts(sent: Sent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of sent) {
    if (s.status !== 201 && s.status !== 200) {
      const key = s.error ?? String(s.status);
      out[key] = (out[key] ?? 0) + 1;
    }
  }
  return out;
}

function postLatency(sent: Sent[]): Latency | null {
  const xs = Float64Array.from(sent.filter((s) => !Number.isNaN(s.ackNs)).map((s) => (s.ackNs - s.sendNs) / 1e6)).sort();
  return xs.length === 0 ? null : latency(xs);
}

const num = (x: number) => (Number.isNaN(x) ? '—' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1));
const row = (label: string, l: Latency) => `    ${label.padEnd(44)}${[l.p50, l.p95, l.p99, l.max].map((x) => num(x).padStart(9)).join('')}`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

function printPhase(r: PhaseResult, labels: string[]): void {
  const rep = r.report;
  const floor = r.name.startsWith('floor');
  log(
    `  ${floor ? 'frames published' : 'posts'}: ${fmtInt(r.posts.sent)} sent ${r.name === 'floor-paced' ? "at phase one's pace" : `at ${RATE}/s`}, ${fmtInt(r.posts.ok)} answered` +
      `${Object.keys(r.posts.failed).length ? `, failed: ${JSON.stringify(r.posts.failed)}` : ''}` +
      `${r.posts.skipped ? `; ${fmtInt(r.posts.skipped)} not sent (${fmtInt(RATE * MAX_BACKLOG_S)} requests were already waiting)` : ''}`,
  );
  if (r.posts.postLatency) {
    const l = r.posts.postLatency;
    log(
      `  ${floor ? 'publish → answer' : 'POST /api/posts → 201'} (from the scheduled send): p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, max ${ms(l.max)}; ` +
        `answered ${r.posts.achieved.toFixed(1)}/s in the measured window`,
    );
  }
  if (r.commitToAck) {
    log(`  the post's commit → its 201 (the match suggestions, then the answer): p50 ${ms(r.commitToAck.p50)}, p99 ${ms(r.commitToAck.p99)}`);
  }
  const groups = rep.groups.length > 1 ? [...rep.groups.map((g, i) => [labels[i]!, g] as const), ['all', rep.all] as const] : [[labels[0]!, rep.all] as const];
  for (const [label, g] of groups) {
    log(
      `  ${label}: ${fmtInt(g.sockets)} sockets; ${fmtInt(g.delivered)} of ${fmtInt(g.expected)} expected deliveries ` +
        `(${fmtInt(g.missing)} missing, ${g.unexpected} outside the box, ${g.duplicates} duplicates); ${fmtInt(g.perSecond)} events/s delivered`,
    );
    log(`    ${'latency, ms'.padEnd(44)}${['p50', 'p95', 'p99', 'max'].map((h) => h.padStart(9)).join('')}`);
    if (floor) {
      log(row('publish (scheduled send) → receipt', g.fromSend));
      log(row('floor answered (sends queued) → receipt', g.fromAck));
    } else {
      log(row('201 → receipt', g.fromAck));
      log(row('commit (NOTIFY heard) → receipt', g.fromCommit));
      log(row('POST (scheduled send) → receipt', g.fromSend));
    }
    log(row('first socket of the post → this one', g.spread));
  }
  log(
    `  CPU while measured, of one core: ${Object.entries(r.cpu)
      .map(([k, v]) => `${k} ${pct(v)}`)
      .join(', ')}`,
  );
  log(`  client process event-loop delay: p50 ${ms(r.loopDelayMs.p50)}, p99 ${ms(r.loopDelayMs.p99)}, max ${ms(r.loopDelayMs.max)}${r.commits ? `; ${r.commits}` : ''}`);
  if (r.connections) {
    log(`  the servers' busy database connections, on average (pool of 10 per process): ${r.connections}`);
  }
  const others = Object.entries(rep.otherFrames);
  if (others.length > 0) {
    log(`  other frames: ${others.map(([k, v]) => `${v} ${k}`).join(', ')}`);
  }
  if (Object.keys(rep.closes).length > 0) {
    log(`  sockets closed by the server: ${JSON.stringify(rep.closes)}`);
  }
}

function serverProblems(p: Proc): string[] {
  return p.output.filter((l) => /"level":(4|5|6)0/.test(l) || !l.startsWith('{'));
}

async function main(): Promise<void> {
  const started = Date.now();
  const signed = Math.round((CLIENTS * SIGNED_PCT) / 100);
  log(
    `bench:live — ${fmtInt(CLIENTS)} sockets (${signed} signed in), ${RATE} posts/s for ${SECONDS} s after ${WARMUP_S} s warm-up; ` +
      `New York City ${Math.round((METRO.north - METRO.south) * KM_PER_DEG_LAT)} × ${Math.round((METRO.east - METRO.west) * KM_PER_DEG_LNG)} km, ` +
      `viewports ~${VIEW_KM.w} × ${VIEW_KM.h} km`,
  );
  log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`);

  // Each of the client process, the server and the floor holds one descriptor per socket.
  const nofile = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity);
  if (nofile < CLIENTS + 1000) {
    console.error(
      `The open-file limit is ${nofile} (ulimit -n); ${fmtInt(CLIENTS)} sockets need at least ${fmtInt(CLIENTS + 1000)} ` +
        `in the client process and in each server. Raise it (ulimit -n ${CLIENTS + 5000}, within the hard limit \`ulimit -Hn\`) ` +
        `or run with CLIENTS=${Math.max(100, nofile - 1000)}.`,
    );
    process.exit(2);
  }
  const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  if (hi! - lo! < CLIENTS + 1000) {
    console.error(`The local port range (${lo}–${hi}) is too small for ${fmtInt(CLIENTS)} client sockets to one server.`);
    process.exit(2);
  }
  log(`limits: ${nofile} open files per process, local ports ${lo}–${hi}`);

  // Other work on the machine skews every figure here: say how busy it was before we started.
  const q0 = machineCpu();
  await sleep(2000);
  const q1 = machineCpu();
  const busy = ((q1.busy - q0.busy) / (q1.total - q0.total)) * cpus().length;
  log(`machine busy before the run: ${pct(busy)} of one core (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  if (busy > 0.25) {
    log('  warning: something else is using the CPU; the figures below share the machine with it');
  }

  await freshDatabase();
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  const commits = new CommitClock(postgres(databaseUrl, { max: 1, onnotice: () => {} }));
  const random = rng(SEED);
  const boxes = viewports(CLIENTS, random);
  const results: PhaseResult[] = [];
  const procs: Proc[] = [];
  let clients: Clients | null = null;
  try {
    const t0 = Date.now();
    const a = await startServer('server A');
    procs.push(a);
    await commits.start();
    const [v] = await sql<{ pg: string; postgis: string }[]>`SELECT current_setting('server_version') AS pg, postgis_lib_version() AS postgis`;
    log(
      `database: ${databaseUrl.replace(/\/\/[^@/]*@/, '//')} (dropped and re-created), PostgreSQL ${v!.pg.split(' ')[0]}, PostGIS ${v!.postgis}; ` +
        `server A up in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );

    // Accounts: the signed-in sockets' users and the posters (argon2: a few at a time).
    const t1 = Date.now();
    const signup = async (k: number): Promise<string> => {
      const r = await http(a.port, 'POST', '/api/auth/signup', { email: `live-bench-${k}@example.org`, password: PASSWORD, displayName: `Neighbor ${k}` });
      if (r.status !== 201) {
        throw new Error(`signup failed: ${r.status} ${r.body}`);
      }
      const set = r.headers['set-cookie'];
      return (Array.isArray(set) ? set[0]! : set!).split(';')[0]!;
    };
    const cookieList: string[] = [];
    let nextUser = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (nextUser < signed + POSTERS) {
          const k = nextUser++;
          cookieList[k] = await signup(k);
        }
      }),
    );
    const posters = cookieList.slice(signed);
    // Signed-in sockets spread evenly, alternating parity so the two-process phase puts half on each server.
    const cookies: Record<number, string> = {};
    for (let k = 0; k < signed; k++) {
      cookies[Math.min(CLIENTS - 1, Math.floor((k * CLIENTS) / signed) + (k % 2))] = cookieList[k]!;
    }
    log(`accounts: ${signed} for the signed-in sockets (one each) + ${POSTERS} posting, signed up in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

    let postNumber = 0;
    const createPost = (port: number) => async (): Promise<Fired> => {
      const k = postNumber++;
      const r = await http(port, 'POST', '/api/posts', postBody(random), posters[k % posters.length]);
      return r.status === 201 ? { ...r, id: (JSON.parse(r.body) as { post: { id: string } }).post.id } : r;
    };

    // Warm-up of the server (JIT, caches, candidates to match against) before the memory baseline;
    // with no socket open, it is also what POST /api/posts alone can do.
    const t2 = nowNs();
    const warmCpu = { server: cpuSeconds(a.pid), machine: machineCpu() };
    const warm = createPost(a.port);
    const warmLatency: number[] = [];
    let warmed = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (warmed < 400) {
          warmed++;
          const t = nowNs();
          const r = await warm();
          if (r.status !== 201) {
            throw new Error(`creating a post failed: ${r.status} ${r.body}`);
          }
          warmLatency.push((r.atNs - t) / 1e6);
        }
      }),
    );
    const wl = latency(Float64Array.from(warmLatency).sort());
    const warmS = (nowNs() - t2) / 1e9;
    const wm = machineCpu();
    log(
      `warm-up: 400 posts, no socket open, closed loop at concurrency 8: ${(400 / warmS).toFixed(0)} posts/s, ` +
        `POST → 201 p50 ${ms(wl.p50)}, p99 ${ms(wl.p99)}; CPU of one core: server ${pct((cpuSeconds(a.pid) - warmCpu.server) / warmS)}, ` +
        `machine ${pct(((wm.busy - warmCpu.machine.busy) / (wm.total - warmCpu.machine.total)) * cpus().length)}`,
    );

    clients = new Clients();
    await clients.next('ready');
    const total = (WARMUP_S + SECONDS) * RATE;
    const warmupPosts = WARMUP_S * RATE;

    /** Opens all sockets, waits idle, and returns what opening cost (RSS of `watch` before and after). */
    const openAll = async (urls: string[], group: Uint8Array, watch: Proc | null) => {
      await sleep(2000);
      const before = watch ? rss(watch.pid) : 0;
      const opened = await clients!.ask({ cmd: 'open', urls, group, boxes, cookies, concurrency: 200 }, 'opened');
      if (opened.ok === 0) {
        throw new Error(`no socket could subscribe: ${JSON.stringify(opened.errors)}`);
      }
      await sleep(IDLE_S * 1000);
      const after = watch ? rss(watch.pid) : 0;
      log(
        `  ${fmtInt(opened.ok)} sockets open and subscribed in ${(opened.ms / 1000).toFixed(1)} s` +
          `${opened.failed ? `, ${opened.failed} failed: ${JSON.stringify(opened.errors)}` : ''}`,
      );
      if (watch) {
        log(
          `  ${watch.label} RSS ${mb(before)} before, ${mb(after)} with the sockets idle ${IDLE_S} s: ` +
            `${kb((after - before) / opened.ok)} per connection`,
        );
      }
      return { opened, rss: watch ? { before, after, perConn: (after - before) / opened.ok } : undefined };
    };

    /** Posts (or publishes) on schedule while the client process records; then the report. */
    const measure = async (
      name: string,
      watch: Proc[],
      n: number,
      at: (i: number) => number,
      warmup: number,
      fire: (i: number) => Promise<Fired>,
      listed: (sent: Sent[], commitAt: (id: string) => number) => Promise<PostTiming[]>,
      groups: number,
    ) => {
      const seq0 = await maxSeq();
      await clients!.ask({ cmd: 'record' }, 'recording');
      commits.notes.length = 0;
      // PostgreSQL's backends serving this database (the servers' pools), for the CPU breakdown.
      const backends = (
        await sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`
      ).map((r) => r.pid);
      const pgCpu = () => backends.reduce((acc, pid) => acc + (existsSync(`/proc/${pid}/stat`) ? cpuSeconds(pid) : 0), 0);
      const snapshot = () => ({ procs: watch.map((p) => cpuSeconds(p.pid)), pg: pgCpu(), machine: machineCpu(), at: nowNs(), driver: process.cpuUsage() });
      let cpu0 = snapshot();
      // What the servers' database connections are doing, sampled every 100 ms while measured.
      const waits = new Map<string, number>();
      let samples = 0;
      let sampling = false;
      const sampler =
        name.startsWith('floor')
          ? null
          : setInterval(() => {
              if (!sampling) {
                return;
              }
              void sql<{ what: string; n: number }[]>`
                SELECT CASE WHEN state = 'active' AND wait_event_type IS NOT NULL THEN 'waiting: ' || wait_event_type || '/' || wait_event
                            WHEN state = 'active' THEN 'running a statement'
                            ELSE state END AS what, count(*)::int AS n
                FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                  AND state <> 'idle' AND query NOT ILIKE 'listen %'
                GROUP BY 1`.then((rows) => {
                samples++;
                for (const r of rows) {
                  waits.set(r.what, (waits.get(r.what) ?? 0) + r.n);
                }
              }, () => {});
            }, 100);
      const { sent, skipped } = await drive(n, at, warmup, fire, () => {
        cpu0 = snapshot();
        sampling = true;
        clients!.child.send({ cmd: 'mark' } satisfies Command);
      });
      if (sampler) {
        clearInterval(sampler);
      }
      const connections = [...waits]
        .sort((x, y) => y[1] - x[1])
        .map(([what, total]) => `${(total / Math.max(1, samples)).toFixed(1)} ${what}`)
        .join(', ');
      // CPU over [end of warm-up, last answer]; the client's from its own mark to now.
      const wall = (nowNs() - cpu0.at) / 1e9;
      const m = machineCpu();
      const d = process.cpuUsage(cpu0.driver);
      const cpu: Record<string, number> = {};
      watch.forEach((p, k) => {
        cpu[p.label] = (cpuSeconds(p.pid) - cpu0.procs[k]!) / wall;
      });
      if (!name.startsWith('floor')) {
        cpu['PostgreSQL (its backends)'] = (pgCpu() - cpu0.pg) / wall;
      }
      cpu.driver = (d.user + d.system) / 1e6 / wall;
      const counted = await clients!.ask({ cmd: 'count' }, 'count');
      cpu.clients = counted.cpu;
      const machine = ((m.busy - cpu0.machine.busy) / (m.total - cpu0.machine.total)) * cpus().length;
      cpu['the rest (kernel, other PostgreSQL processes, anything else)'] = Math.max(0, machine - Object.values(cpu).reduce((acc, x) => acc + x, 0));
      cpu[`machine (${cpus().length} cores)`] = machine;
      await drain(clients!);
      let commitNote = '';
      let commitToAck: Latency | null = null;
      let commitAt: (id: string) => number = () => NaN;
      if (!name.startsWith('floor')) {
        await sleep(200); // the last notifications
        const c = await commits.since(seq0, [...commits.notes]);
        commitNote =
          c.bySeq.size > 0
            ? `commit times from ${fmtInt(c.notes)} NOTIFYs heard for ${fmtInt(c.transactions)} transactions`
            : `no commit times: ${fmtInt(c.notes)} NOTIFYs heard for ${fmtInt(c.transactions)} transactions`;
        const seqOf = await postSeqs(seq0);
        commitAt = (id) => c.bySeq.get(seqOf.get(id) ?? -1) ?? NaN;
        // A commit heard must fall between the post's send and its 201; if many do not, the pairing is off.
        const paired = sent.filter((s) => s.i >= warmup && s.id !== null && !Number.isNaN(commitAt(s.id)));
        const outside = paired.filter((s) => commitAt(s.id!) < s.sendNs || commitAt(s.id!) > s.ackNs).length;
        commitToAck = latency(Float64Array.from(paired.map((s) => (s.ackNs - commitAt(s.id!)) / 1e6)).sort());
        commitNote += outside > 0 ? `; ${outside} of ${paired.length} fall outside [send, 201]` : '';
        if (outside > paired.length / 100) {
          commitNote += ' — commit times dropped';
          commitAt = () => NaN;
        }
      }
      const posts = await listed(sent, commitAt);
      const { report } = await clients!.ask({ cmd: 'report', posts, groups }, 'report');
      const measured = sent.filter((s) => s.i >= warmup);
      const acks = measured.filter((s) => !Number.isNaN(s.ackNs)).map((s) => s.ackNs);
      const achieved = acks.length > 1 ? (acks.length - 1) / ((Math.max(...acks) - Math.min(...acks)) / 1e9) : 0;
      return {
        name,
        report,
        posts: { sent: sent.length, skipped, ok: sent.filter((s) => s.id !== null).length, failed: statusCounts(sent), achieved, postLatency: postLatency(measured) },
        cpu,
        loopDelayMs: counted.loopDelayMs,
        commits: commitNote,
        commitToAck,
        connections,
      };
    };

    const maxSeq = async () => Number((await sql<{ s: string | null }[]>`SELECT max(seq)::text AS s FROM events`)[0]!.s ?? 0);
    const postSeqs = async (seq: number) =>
      new Map(
        (
          await sql<{ id: string; seq: string }[]>`SELECT data->'post'->>'id' AS id, seq::text AS seq FROM events WHERE type = 'post.created' AND seq > ${seq}`
        ).map((r) => [r.id, Number(r.seq)]),
      );
    /** The post.created events after `seq`: the public point the hub routes by, and the frame exactly as it writes it. */
    const eventsSince = async (seq: number) => {
      const rows = await sql<{ seq: string; type: string; lat: number; lng: number; data: string }[]>`
        SELECT seq::text AS seq, type, lat, lng, data::text AS data FROM events WHERE type = 'post.created' AND seq > ${seq} ORDER BY events.seq`;
      return new Map(
        rows.map((r) => {
          const data = JSON.parse(r.data) as { post: { id: string } };
          // The hub: JSON.stringify({ type: ev.type, seq: ev.seq, ...payload }) of the row as drizzle reads it.
          return [data.post.id, { lat: r.lat, lng: r.lng, seq: Number(r.seq), frame: JSON.stringify({ type: r.type, seq: Number(r.seq), ...data }) }];
        }),
      );
    };
    const serverPosts = (warmup: number) => async (sent: Sent[], commitAt: (id: string) => number) => {
      const evs = await eventsSince(0);
      return sent
        .filter((s) => s.i >= warmup && s.id !== null && evs.has(s.id))
        .map((s) => ({ id: s.id!, sendNs: s.sendNs, ackNs: s.ackNs, commitNs: commitAt(s.id!), lat: evs.get(s.id!)!.lat, lng: evs.get(s.id!)!.lng }));
    };

    const all = new Uint8Array(CLIENTS);
    /** Phase one's posts, to replay to the floor: the same frames, in the same order. */
    let replay: { id: string; measured: boolean; commitNs: number; lat: number; lng: number; frame: string; seq: number }[] = [];
    const keepForFloor = async (sent: Sent[], commitAt: (id: string) => number) => {
      const evs = await eventsSince(0);
      replay = sent
        .filter((s) => s.id !== null && evs.has(s.id))
        .map((s) => ({ id: s.id!, measured: s.i >= warmupPosts, commitNs: commitAt(s.id!), ...evs.get(s.id!)! }));
    };

    if (PHASES.has('one')) {
      log(`\n[one] one server process, ${fmtInt(CLIENTS)} sockets`);
      const { opened, rss: mem } = await openAll([`ws://127.0.0.1:${a.port}/ws`], all, a);
      const r = await measure(
        'one',
        [a],
        total,
        steady,
        warmupPosts,
        createPost(a.port),
        async (sent, commitAt) => {
          await keepForFloor(sent, commitAt);
          return serverPosts(warmupPosts)(sent, commitAt);
        },
        1,
      );
      results.push({ ...r, opened, rss: mem! });
      printPhase(results[results.length - 1]!, ['server A']);
      log(`  server A RSS after the run: ${mb(rss(a.pid))}`);
      const samples = Object.entries(r.report.samples);
      const same = samples.filter(([id, text]) => replay.find((p) => p.id === id)?.frame === text).length;
      log(`  frames rebuilt from the events table for the floor: ${same} of ${samples.length} sampled are byte for byte what the sockets received`);
      await clients.ask({ cmd: 'close' }, 'closed');
    }

    if (PHASES.has('floor')) {
      if (replay.length === 0) {
        // Without phase one the floor still needs frames: create the posts first (not measured).
        const { sent } = await drive(total, steady, -1, createPost(a.port), () => {});
        await keepForFloor(sent, () => NaN);
      }
      log(`\n[floor] bare ws server (test/bench/live/floor.ts), the same ${fmtInt(CLIENTS)} sockets and viewports, phase one's ${fmtInt(replay.length)} frames`);
      const floor = await startFloor();
      procs.push(floor);
      const { opened, rss: mem } = await openAll([`ws://127.0.0.1:${floor.port}/ws`], all, floor);
      const publish = (list: typeof replay) => async (i: number) => {
        const p = list[i]!;
        return { ...(await http(floor.port, 'POST', '/publish', { lat: p.lat, lng: p.lng, frame: p.frame, seq: p.seq })), id: p.id };
      };
      const listed = (list: typeof replay) => async (sent: Sent[]) =>
        sent
          .filter((s) => list[s.i]!.measured && s.id !== null)
          .map((s) => ({ id: s.id!, sendNs: s.sendNs, ackNs: s.ackNs, commitNs: NaN, lat: list[s.i]!.lat, lng: list[s.i]!.lng }));
      // 1. At RATE, as offered to the server: what the bare fan-out delivers (the throughput floor).
      log(`  (a) at ${RATE}/s, the rate offered to the server`);
      const r = await measure('floor', [floor], replay.length, steady, replay.findIndex((p) => p.measured), publish(replay), listed(replay), 1);
      results.push({ ...r, opened, rss: mem! });
      printPhase(results[results.length - 1]!, ['floor']);
      // 2. At phase one's pace: each frame when the server committed its post, so both fan out the same load (the latency floor).
      const paced = [...replay].sort((x, y) => x.seq - y.seq);
      if (paced.length > 0 && paced.every((p) => !Number.isNaN(p.commitNs))) {
        const t0 = paced[0]!.commitNs;
        log(`  (b) at phase one's pace: each frame at its post's commit time in phase one (the same load as the server fanned out)`);
        const rp = await measure('floor-paced', [floor], paced.length, (i) => paced[i]!.commitNs - t0, paced.findIndex((p) => p.measured), publish(paced), listed(paced), 1);
        results.push({ ...rp, opened, rss: mem! });
        printPhase(results[results.length - 1]!, ['floor, paced']);
      }
      await clients.ask({ cmd: 'close' }, 'closed');
      await floor.stop();
    }

    if (PHASES.has('two')) {
      log(`\n[two] two server processes on the one database, ${fmtInt(CLIENTS)} sockets split between them, posts through A only`);
      const b = await startServer('server B');
      procs.push(b);
      const group = Uint8Array.from({ length: CLIENTS }, (_, i) => i % 2);
      const { opened } = await openAll([`ws://127.0.0.1:${a.port}/ws`, `ws://127.0.0.1:${b.port}/ws`], group, null);
      const r = await measure('two', [a, b], total, steady, warmupPosts, createPost(a.port), serverPosts(warmupPosts), 2);
      results.push({ ...r, opened });
      printPhase(results[results.length - 1]!, ['on A (the process that took the POST)', 'on B (cross-process)']);
      await clients.ask({ cmd: 'close' }, 'closed');
      await b.stop();
    }

    /** Each concurrency of the write phase: the API, its follow-ups, the floor. */
    const writes: { concurrency: number; api: Rate; floor: Rate; jobs: Awaited<ReturnType<typeof drainJobs>>; load: string }[] = [];
    if (PHASES.has('write')) {
      log(
        `\n[write] POST /api/posts closed loop on server A, ${fmtInt(CLIENTS)} sockets open, ${WRITE_S} s at each concurrency; ` +
          `against the floor: the same rows (post, windows, event with the ordering lock and NOTIFY, job) by a bare postgres.js client`,
      );
      await prepareFloor(sql);
      await openAll([`ws://127.0.0.1:${a.port}/ws`], all, null);
      const createOne = createPost(a.port);
      for (const c of WRITE_CONCURRENCY) {
        await drainJobs(sql);
        await clients.ask({ cmd: 'record' }, 'recording');
        const load = loadavg();
        const cpu0 = { server: cpuSeconds(a.pid), machine: machineCpu(), at: nowNs() };
        const api = await closedLoop(c, WRITE_S, createOne);
        const wall = (nowNs() - cpu0.at) / 1e9;
        const m = machineCpu();
        const serverCpu = (cpuSeconds(a.pid) - cpu0.server) / wall;
        const machine = ((m.busy - cpu0.machine.busy) / (m.total - cpu0.machine.total)) * cpus().length;
        const drainCpu0 = cpuSeconds(a.pid);
        const jobs = await drainJobs(sql);
        const drainCpu = cpuSeconds(a.pid) - drainCpu0;
        await drain(clients);
        const { count: frames } = await clients.ask({ cmd: 'count' }, 'count');
        const floorRate = await floorInsert(databaseUrl, sql, api.ids, c);
        writes.push({ concurrency: c, api, floor: floorRate, jobs, load });
        const failures = (r: Rate) => (Object.keys(r.failed).length ? `; failed: ${JSON.stringify(r.failed)}` : '');
        log(`  concurrency ${c} (load average before: ${load}):`);
        log(
          `    POST /api/posts: ${fmtInt(api.posts)} posts in ${api.seconds.toFixed(1)} s, ${api.perSecond.toFixed(1)}/s; ` +
            `POST → 201 p50 ${ms(api.latencyMs.p50)}, p99 ${ms(api.latencyMs.p99)}${failures(api)}; ` +
            `CPU of one core: server ${pct(serverCpu)}, machine ${pct(machine)} of ${cpus().length * 100} %`,
        );
        // Server CPU per follow-up job, from the drain (nothing else runs then), and what that leaves per request while posting.
        const perJob = jobs.waiting > 0 ? drainCpu / jobs.waiting : NaN;
        const jobsDuring = api.posts - jobs.waiting;
        const perRequest = (serverCpu * wall - (Number.isNaN(perJob) ? 0 : jobsDuring * perJob)) / api.posts;
        log(
          `    follow-up jobs waiting at the last 201: ${fmtInt(jobs.waiting)}, done ${jobs.seconds.toFixed(1)} s later` +
            `${jobs.left > 0 ? ` (${fmtInt(jobs.left)} still waiting)` : ''}; ${fmtInt(frames)} frames delivered to the sockets; ` +
            `server CPU ${(1000 * (serverCpu * wall)) / api.posts > 0 ? ((1000 * serverCpu * wall) / api.posts).toFixed(1) : '—'} ms a post while posting` +
            `${Number.isNaN(perJob) ? '' : `, of which ~${(1000 * perRequest).toFixed(1)} ms the request and ${(1000 * perJob).toFixed(1)} ms its follow-up job (from the drain)`}`,
        );
        log(
          `    floor, ${c} connection${c > 1 ? 's' : ''}: ${fmtInt(floorRate.posts)} posts in ${floorRate.seconds.toFixed(1)} s, ${floorRate.perSecond.toFixed(1)}/s; ` +
            `p50 ${ms(floorRate.latencyMs.p50)}, p99 ${ms(floorRate.latencyMs.p99)}${failures(floorRate)}; ` +
            `floor / API ${(floorRate.perSecond / api.perSecond).toFixed(2)}x`,
        );
      }
      await clients.ask({ cmd: 'close' }, 'closed');
      await dropFloor(sql);
    }

    for (const p of procs.filter((x) => x.label.startsWith('server'))) {
      const problems = serverProblems(p);
      if (problems.length > 0) {
        log(`\n${p.label} wrote ${problems.length} warning/error lines; the first:`);
        for (const l of problems.slice(0, 4)) {
          log(`  ${l.slice(0, 300)}`);
        }
      }
    }

    // ---- against the targets ----
    const one = results.find((r) => r.name === 'one');
    const floor = results.find((r) => r.name === 'floor');
    const two = results.find((r) => r.name === 'two');
    log(`\nagainst the targets (${fmtInt(CLIENTS)} sockets, ${RATE} posts/s offered; published anchors: Node ws 361 ms p95 at 10k clients, Centrifugo 200 ms p99):`);
    if (one) {
      const g = one.report.all;
      const verdict = (x: number) => (x <= TARGET.p99Ms ? 'MET' : 'MISSED');
      log(`  p99 201 → receipt: ${ms(g.fromAck.p99)} (target <= ${TARGET.p99Ms} ms) ${verdict(g.fromAck.p99)}`);
      if (g.fromAck.p50 < 0) {
        log(`    the median is ${ms(g.fromAck.p50)}: the 201 waits for the match suggestions, computed after the post's commit, so most sockets have the event before the author has the 201`);
      }
      const within = (x: number) => (x <= TARGET.p99Ms ? `within ${TARGET.p99Ms} ms` : `over ${TARGET.p99Ms} ms`);
      log(`  p99 commit → receipt: ${ms(g.fromCommit.p99)} (the live path alone: NOTIFY, the hub's read, routing, sends), ${within(g.fromCommit.p99)}`);
      log(`  p99 POST (scheduled send) → receipt: ${ms(g.fromSend.p99)} (end to end, what a neighbor waits), ${within(g.fromSend.p99)}`);
      if (one.posts.achieved < RATE * 0.95 || one.posts.skipped > 0) {
        log(`    the server answered ${one.posts.achieved.toFixed(1)} posts/s of the ${RATE}/s offered: it does not keep up, and the backlog is that latency`);
      }
      const k = one.rss!.perConn / 1024;
      log(
        `  server memory per idle connection: ${k.toFixed(1)} KB (target <= ${TARGET.kbPerConn} KB) ${k <= TARGET.kbPerConn ? 'MET' : 'MISSED'}` +
          `${floor ? ` (floor: ${kb(floor.rss!.perConn)})` : ''}`,
      );
      log(`  delivered: ${fmtInt(g.perSecond)} events/s; ${fmtInt(g.missing)} of ${fmtInt(g.expected)} expected deliveries missing`);
    }
    const paced = results.find((r) => r.name === 'floor-paced');
    if (one && floor) {
      const g = one.report.all;
      const f = floor.report.all;
      const ratio = f.perSecond / g.perSecond;
      log(
        `  throughput vs the floor at ${RATE}/s: ${fmtInt(g.perSecond)} against ${fmtInt(f.perSecond)} events/s, ${ratio.toFixed(2)}x ` +
          `(target <= ${TARGET.ratio}x) ${ratio <= TARGET.ratio ? 'MET' : 'MISSED'}`,
      );
    }
    if (one && paced) {
      const g = one.report.all;
      const f = paced.report.all;
      log(
        `  latency vs the floor at the same pace (publish → receipt p50 ${ms(f.fromSend.p50)}, p99 ${ms(f.fromSend.p99)}): ` +
          `commit → receipt ${(g.fromCommit.p50 / f.fromSend.p50).toFixed(1)}x at p50, ${(g.fromCommit.p99 / f.fromSend.p99).toFixed(1)}x at p99; ` +
          `spread over the sockets p99 ${ms(g.spread.p99)} against ${ms(f.spread.p99)}`,
      );
    }
    if (two) {
      const [ga, gb] = two.report.groups;
      log(
        `  two processes, commit → receipt p50 / p99: on A ${ms(ga!.fromCommit.p50)} / ${ms(ga!.fromCommit.p99)}, ` +
          `on B (cross-process) ${ms(gb!.fromCommit.p50)} / ${ms(gb!.fromCommit.p99)}; 201 → receipt p99 ${ms(ga!.fromAck.p99)} / ${ms(gb!.fromAck.p99)}`,
      );
    }
    for (const w of writes) {
      const ratio = w.floor.posts > 0 ? w.floor.perSecond / w.api.perSecond : NaN;
      log(
        `  posts/s through POST /api/posts at concurrency ${w.concurrency}, ${fmtInt(CLIENTS)} sockets open: ${w.api.perSecond.toFixed(1)} ` +
          `(target >= ${TARGET.postsPerS}) ${w.api.perSecond >= TARGET.postsPerS ? 'MET' : 'MISSED'}; the floor ${w.floor.perSecond.toFixed(1)}, ` +
          `${ratio.toFixed(2)}x (target <= ${TARGET.writeRatio}x) ${ratio <= TARGET.writeRatio ? 'MET' : 'MISSED'}; load average before ${w.load}`,
      );
    }
    log(`\nwall time ${((Date.now() - started) / 1000).toFixed(0)} s; load average at the end ${loadavg()}`);
  } finally {
    clients?.child.disconnect();
    for (const p of procs.reverse()) {
      await p.stop();
    }
    await sql.end({ timeout: 5 });
    await commits.sql.end({ timeout: 5 });
    agent.destroy();
  }
}

await main();
