// `npm run bench:outbox`: what the live-events outbox costs a writing
// transaction, and whether NOTIFY's commit-time lock (PostgreSQL serializes
// the commits of transactions that NOTIFY) or our ordering lock (one
// transaction-level advisory lock from the append to the commit) limits
// writes under concurrency. Each variant runs short transactions that append
// one event, from C connections at once, for SECONDS; the floor is the same
// transaction without the event.
//
//   npm run bench:outbox          # DATABASE_URL, else postgres://postgres@127.0.0.1:5432/aidmap_outbox_bench (created)
import postgres from 'postgres';
import { openDatabase } from '../../db';
import { EVENTS_CHANNEL } from '../../server/live/outbox';
import { ensureDatabase } from './database';
import { machineLoad } from './env';

const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/aidmap_outbox_bench';
const SECONDS = Number(process.env.SECONDS ?? 5);
const LEVELS = (process.env.CONCURRENCY ?? '1,8,32').split(',').map(Number);

type Variant = { name: string; steps: string[] };

// A post-sized event payload (about 1 KB, like a post's public form).
const payload = JSON.stringify({ post: { id: '00000000-0000-4000-8000-000000000000', title: 'Vegetarian dinners', description: 'x'.repeat(700) } });
const append = `INSERT INTO events (type, lat, lng, kind, category, data) VALUES ('post.created', 40.68, -73.94, 'offer', 'meal', '${payload}'::jsonb)`;
const change = `UPDATE bench_outbox_rows SET n = n + 1 WHERE id = $1`;

const VARIANTS: Variant[] = [
  { name: 'floor: the change alone', steps: [change] },
  { name: 'change + event', steps: [change, append] },
  { name: 'change + event + NOTIFY', steps: [change, append, `SELECT pg_notify('${EVENTS_CHANNEL}_bench', '')`] },
  { name: 'change + lock, event, NOTIFY: 3 statements', steps: [change, 'SELECT pg_advisory_xact_lock(1633969261)', append, `SELECT pg_notify('${EVENTS_CHANNEL}_bench', '')`] },
  {
    name: 'change + lock+event+NOTIFY in one (shipped)',
    steps: [
      change,
      append.replace(
        `VALUES ('post.created', 40.68, -73.94, 'offer', 'meal', '${payload}'::jsonb)`,
        `SELECT 'post.created', 40.68, -73.94, 'offer', 'meal', '${payload}'::jsonb FROM (SELECT pg_advisory_xact_lock(1633969261), pg_notify('${EVENTS_CHANNEL}_bench', '')) l`,
      ),
    ],
  },
];

async function run(variant: Variant, concurrency: number): Promise<{ tps: number; p50: number; p99: number }> {
  const sql = postgres(databaseUrl, { max: concurrency, onnotice: () => {}, connection: { jit: 'off' } });
  const latencies: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        while (performance.now() < until) {
          const t = performance.now();
          await sql.begin(async (tx) => {
            for (const step of variant.steps) {
              await (step === change ? tx.unsafe(step, [worker % 64]) : tx.unsafe(step));
            }
          });
          latencies.push(performance.now() - t);
        }
      }),
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return { tps: latencies.length / SECONDS, p50: at(50), p99: at(99) };
}

async function main(): Promise<void> {
  await ensureDatabase(databaseUrl, 'bench:outbox');
  const { close } = await openDatabase({ databaseUrl, max: 1 }); // migrations: the events table as shipped
  await close();
  const setup = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  // A listener, as every server process has one.
  const listener = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let heard = 0;
  try {
    await setup.unsafe(`CREATE TABLE IF NOT EXISTS bench_outbox_rows (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0)`);
    await setup.unsafe(`INSERT INTO bench_outbox_rows (id) SELECT g FROM generate_series(0, 63) g ON CONFLICT DO NOTHING`);
    await listener.listen(`${EVENTS_CHANNEL}_bench`, () => {
      heard++;
    });
    console.log(`outbox append cost, ${SECONDS} s per run, ${databaseUrl.replace(/\/\/[^@/]*@/, '//')}; ${machineLoad()}`);
    console.log(`${'variant'.padEnd(44)} ${LEVELS.map((c) => `c=${c}: tx/s    p50     p99`.padEnd(30)).join('')}`);
    for (const variant of VARIANTS) {
      const cells: string[] = [];
      for (const c of LEVELS) {
        const r = await run(variant, c);
        cells.push(`${r.tps.toFixed(0).padStart(11)} ${r.p50.toFixed(1).padStart(6)} ms ${r.p99.toFixed(1).padStart(6)} ms`.padEnd(30));
      }
      console.log(`${variant.name.padEnd(44)} ${cells.join('')}`);
    }
    console.log(`(the listener heard ${heard} notifications: NOTIFYs of one commit fold into one)`);
    console.log(`${machineLoad()} at the end`);
    await setup.unsafe(`TRUNCATE events`);
  } finally {
    await listener.end({ timeout: 5 });
    await setup.end({ timeout: 5 });
  }
}

await main();
