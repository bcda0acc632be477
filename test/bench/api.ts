// `npm run bench:api`: what the API adds over its cheapest answer, at a
// neighbourhood's scale (issue 17: "through the API at only 5,000 posts a
// client measured lookups at p50 32 ms / p99 60 ms at concurrency 8 while
// /api/health answered p99 14 ms").
//
//   npm run bench:api                 (POSTS=5000 CONCURRENCY=8 SECONDS=10)
//   PROFILE=1 npm run bench:api       (also the server's CPU profile: its top functions by self time)
//   PHASES=map PROFILE=1 npm run bench:api   (health and the phases named: post, map, candidates, create)
//
// A real server (`server/main.ts --demo`, as `npm start -- --demo`) on a
// fresh database (DATABASE_URL's server, default the local PostgreSQL), its
// demo posts copied until POSTS are open around Crown Heights. Then, in a
// closed loop of CONCURRENCY clients for SECONDS each, one after another:
//
//   health     GET /api/health: the floor, what any answer costs (routing, one
//              database round trip, the reply)
//   post       GET /api/posts/:id, a random open post, signed in
//   map        GET /api/posts?bbox=…, the phone's first map view (50 posts), signed in
//   candidates GET /api/posts/:id/matches, one of the signed-in demo
//              neighbour's own posts (the lookup the issue measured)
//   create     POST /api/posts, a one-off meal offer tomorrow evening near
//              the centre (last: it adds posts), with no socket listening
//
// Each line: requests, p50 / p95 / p99 latency, requests per second, and
// p50 and p99 as a multiple of health's. No assertions.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { type Server, startServer } from '../e2e/browser';
import { seedCopies } from './copies';
import { type CpuProfile, percentile, selfTimes } from './figures';
import { DEMO_PASSWORD } from '../../server/demo/seed';
import { intEnv, machineLoad } from './env';

const POSTS = intEnv('POSTS', 5000);
const CONCURRENCY = intEnv('CONCURRENCY', 8);
const SECONDS = intEnv('SECONDS', 10);
const PROFILE = process.env.PROFILE === '1';
const PHASES = new Set((process.env.PHASES ?? 'post,map,candidates,create').split(','));
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';

const CENTER = { lat: 40.6782, lng: -73.9442 };
const SPREAD = { lat: 0.03, lng: 0.04 };
/** What a 390×844 phone at zoom 15 shows around the centre. */
const BBOX = '-73.9526,40.6718,-73.9358,40.6846';

interface Phase {
  name: string;
  ms: number[];
  errors: number;
  seconds: number;
}

async function run(name: string, request: (i: number) => Promise<Response>): Promise<Phase> {
  // A short warm-up (compiled routes, prepared statements, the planner's caches): not counted.
  for (let i = 0; i < 20; i++) {
    await (await request(i)).arrayBuffer();
  }
  const ms: number[] = [];
  let errors = 0;
  let n = 0;
  const started = performance.now();
  const until = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const response = await request(n++);
        await response.arrayBuffer();
        ms.push(performance.now() - t0);
        if (!response.ok) {
          errors++;
        }
      }
    }),
  );
  return { name, ms: ms.sort((a, b) => a - b), errors, seconds: (performance.now() - started) / 1000 };
}

function line(phase: Phase, floor: Phase | null): string {
  const p50 = percentile(phase.ms, 50);
  const p99 = percentile(phase.ms, 99);
  const ratio = floor ? `  ${(p50 / percentile(floor.ms, 50)).toFixed(1)}× / ${(p99 / percentile(floor.ms, 99)).toFixed(1)}× health` : '  (the floor)';
  return (
    `${phase.name.padEnd(10)} n ${String(phase.ms.length).padStart(6)}  p50 ${p50.toFixed(1)} ms  p95 ${percentile(phase.ms, 95).toFixed(1)} ms  p99 ${p99.toFixed(1)} ms  ` +
    `${(phase.ms.length / phase.seconds).toFixed(0)}/s${phase.errors ? `  ${phase.errors} not ok` : ''}${ratio}`
  );
}

/** The profile `node --cpu-prof` wrote in `dir`: its functions by self time, the top `n`. */
function topSelf(dir: string, n: number): string[] {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) {
    return ['(no profile written)'];
  }
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  return selfTimes(profile, n).map(({ name, share }) => `${(100 * share).toFixed(1).padStart(5)}%  ${name}`);
}

async function main(): Promise<void> {
  console.log(`bench:api: ${POSTS} posts, concurrency ${CONCURRENCY}, ${SECONDS} s a phase; ${machineLoad()}`);
  const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), 'aidmap-api-prof-')) : null;
  const server: Server = await startServer({}, ['--demo'], profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  try {
    if (!server.databaseUrl) {
      throw new Error('bench:api copies posts in SQL: set DATABASE_URL (a PostgreSQL server with PostGIS)');
    }
    await seedCopies(server.databaseUrl, POSTS, { ...CENTER, spread: SPREAD });
    const sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
    const ids = (await sql<{ id: string }[]>`SELECT id FROM posts WHERE status = 'open' ORDER BY random()`).map((r) => r.id);
    const mine = (
      await sql<{ id: string }[]>`SELECT p.id FROM posts p JOIN users u ON u.id = p.author_id
        WHERE u.email = 'rosa@demo.aidmap.example' AND p.status = 'open'`
    ).map((r) => r.id);
    await sql.end();
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'rosa@demo.aidmap.example', password: DEMO_PASSWORD }),
    });
    const cookie = login.headers.get('set-cookie')?.split(';')[0];
    if (!login.ok || !cookie || mine.length === 0) {
      throw new Error(`could not sign in as the demo's Rosa (${login.status}) or she has no open post`);
    }
    console.log(`${ids.length} open posts; the candidates of ${mine.length} of Rosa's`);
    const get = (path: string) => fetch(`${server.url}${path}`, { headers: { cookie } });
    const health = await run('health', () => fetch(`${server.url}/api/health`));
    const phases: Phase[] = [];
    if (PHASES.has('post')) {
      phases.push(await run('post', (i) => get(`/api/posts/${ids[i % ids.length]}`)));
    }
    if (PHASES.has('map')) {
      phases.push(await run('map', () => get(`/api/posts?bbox=${BBOX}`)));
    }
    if (PHASES.has('candidates')) {
      phases.push(await run('candidates', (i) => get(`/api/posts/${mine[i % mine.length]}/matches`)));
    }
    if (PHASES.has('create')) {
      const start = new Date(Date.now() + 86_400_000);
      start.setUTCHours(22, 0, 0, 0);
      const body = JSON.stringify({
        kind: 'offer',
        category: 'meal',
        title: 'Soup for two',
        description: 'Lentil soup and bread, collected from my door.',
        location: CENTER,
        radiusM: 2000,
        windows: [{ start: start.toISOString(), end: new Date(start.getTime() + 2 * 3_600_000).toISOString() }],
        capacity: 2,
        details: { dietary: ['vegetarian'] },
      });
      phases.push(await run('create', () => fetch(`${server.url}/api/posts`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body })));
    }
    console.log(line(health, null));
    for (const phase of phases) {
      console.log(line(phase, health));
    }
    console.log(`${machineLoad()} at the end`);
  } finally {
    await server.stop();
  }
  if (profileDir) {
    console.log('server CPU profile, top functions by self time:');
    for (const row of topSelf(profileDir, 25)) {
      console.log(`  ${row}`);
    }
    rmSync(profileDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
