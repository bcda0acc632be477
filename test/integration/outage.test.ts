// The database goes away and comes back (PostgreSQL only: the server works
// on its own clone, and the test refuses connections to it — as a superuser
// the server ignores CONNECTION LIMIT 0, so ALLOW_CONNECTIONS false, and the
// backends it holds are terminated). While it is away every request that
// needs it answers 503 with Retry-After while it is still away, never a
// 500 or a hang, and nothing is half-written; when it returns, everything
// answers again without a restart, live updates included. The statement
// budget here is a minute, longer than the test may take: an answer that
// comes while the database is away cannot be the budget running out.
// (How fast the answers come is bench:abuse's to measure: tests time nothing.)
import { sql } from 'drizzle-orm';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, rowsOf } from '../../db';
import { type App, buildApp } from '../../server/app';
import { loadConfig } from '../../server/config';
import { TestSocket } from '../live-client';
import { cloneTestDatabase, postBody, signup, TestClock } from '../helper';

const baseUrl = process.env.DATABASE_URL;
const BOX = [-74.0, 40.6, -73.9, 40.75];

describe.skipIf(!baseUrl)('a database outage', () => {
  let app: App;
  let database: Database;
  let admin: postgres.Sql;
  let name: string;
  let wsUrl: string;
  const clock = new TestClock();
  /** Figures for the report: how long each answer took. */
  const figures: Record<string, number> = {};
  const statuses: Record<string, string> = {};

  beforeAll(async () => {
    const url = (await cloneTestDatabase())!;
    name = new URL(url).pathname.slice(1);
    database = await openDatabase({ databaseUrl: url, statementTimeoutMs: 60_000 });
    const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/nonexistent', RATE_LIMIT_SCALE: '1000' });
    // Polling rarely: live updates after the outage must come from LISTEN, re-established.
    app = await buildApp({ config, database, clock, logger: false, sweepEveryMs: null, live: { pollMs: 60_000 } });
    // A statement still running when its connection is killed.
    app.get('/api/test/sleep', async () => {
      await app.db.execute(sql`SELECT pg_sleep(3)`);
      return { slept: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    wsUrl = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ws`;
    admin = postgres(baseUrl!, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await admin?.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
    await app?.close();
    await admin?.end();
  });

  async function refuse(): Promise<void> {
    await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name} AND pid <> pg_backend_pid()`;
  }

  async function timed<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const result = await fn();
    figures[key] = Math.round(performance.now() - t0);
    const codes = [result].flat().map((r) => (r as { statusCode?: number }).statusCode);
    statuses[key] = [...new Set(codes)].join(',');
    return result;
  }

  function expectUnavailable(res: { statusCode: number; headers: Record<string, unknown>; json(): { detail: string } }): void {
    // Soft: one run reports every answer that is wrong, not only the first.
    expect.soft(res.statusCode).toBe(503);
    expect.soft(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect.soft(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect.soft(res.json().detail).toMatch(/database/i);
  }

  it('answers 503 with Retry-After while it is away, loses nothing, and recovers by itself', { timeout: 60_000 }, async () => {
    const ana = await signup(app, 'Ana');
    const socket = await TestSocket.open(wsUrl);
    socket.send({ type: 'subscribe', bbox: BOX });
    await socket.next('subscribed');
    const before = await app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: ana.cookie }, payload: postBody({ title: 'Before' }) });
    expect(before.statusCode).toBe(201);
    expect((await socket.next('post.created')).post.id).toBe(before.json().post.id);

    // Every connection of the pool open and idle, as on a busy server: after
    // the kill, the first request on each closed connection once waited for
    // the database's return (a transaction) or the budget (a query).
    await Promise.all(Array.from({ length: 20 }, () => database.db.execute(sql`SELECT pg_sleep(0.05)`)));

    // A statement in flight when its backend is killed: 503, not 500.
    const inFlight = app.inject({ method: 'GET', url: '/api/test/sleep' });
    await new Promise((r) => setTimeout(r, 300));
    await refuse();
    expectUnavailable(await timed('killed mid-query (ms after the kill)', () => inFlight));

    const health = await timed('health', () => app.inject({ method: 'GET', url: '/api/health' }));
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ status: 'error' });

    const list = await timed('GET /api/posts', () => app.inject({ method: 'GET', url: `/api/posts?bbox=${BOX.join(',')}` }));
    expectUnavailable(list);
    const write = await timed('POST /api/posts', () =>
      app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: ana.cookie }, payload: postBody({ title: 'During' }) }),
    );
    expectUnavailable(write);
    const me = await timed('GET /api/me', () => app.inject({ method: 'GET', url: '/api/me', headers: { cookie: ana.cookie } }));
    expectUnavailable(me);
    // Twenty at once, reads and writes (transactions), as a busy minute would bring: each answered, none a 500.
    const burst = await timed('20 at once', () =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? app.inject({ method: 'GET', url: `/api/posts?bbox=${BOX.join(',')}` })
            : app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: ana.cookie }, payload: postBody({ title: 'During' }) }),
        ),
      ),
    );
    for (const res of burst) {
      expectUnavailable(res);
    }
    // People trying again and again, four at a time, a moment apart (as
    // bench:abuse does): each try is answered while the database is away.
    // Before the guard failed what waited for a connection, the second try
    // on a connection the database had closed waited until it came back.
    const retries = await timed('4 people retrying for 2 s', () =>
      Promise.all(
        Array.from({ length: 4 }, async (_, k) => {
          const answers = [];
          for (const until = performance.now() + 2000; performance.now() < until; ) {
            answers.push(
              k % 2 === 0
                ? await app.inject({ method: 'GET', url: `/api/posts?bbox=${BOX.join(',')}` })
                : await app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: ana.cookie }, payload: postBody({ title: 'During' }) }),
            );
            await new Promise((r) => setTimeout(r, 200));
          }
          return answers;
        }),
      ),
    );
    for (const res of retries.flat()) {
      expectUnavailable(res);
    }

    // Still away a few seconds later (the driver's reconnect backoff must not make answers slower).
    await new Promise((r) => setTimeout(r, 3000));
    const later = await timed('GET /api/posts, 3 s into the outage', () => app.inject({ method: 'GET', url: `/api/posts?bbox=${BOX.join(',')}` }));
    expectUnavailable(later);

    // Back: everything answers again within a few seconds, without a restart.
    await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    const back = performance.now();
    while ((await app.inject({ method: 'GET', url: '/api/health' })).statusCode !== 200 && performance.now() - back < 20_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const healthy = performance.now() - back;
    expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode, 'health back by itself').toBe(200);
    figures['recovery: health 200 after ALLOW_CONNECTIONS true'] = Math.round(healthy);
    const written = performance.now();
    const after = await timed('recovery: POST /api/posts', () =>
      app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: ana.cookie }, payload: postBody({ title: 'After' }) }),
    );
    expect(after.statusCode).toBe(201);
    expect((await app.inject({ method: 'GET', url: `/api/posts?bbox=${BOX.join(',')}` })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/me', headers: { cookie: ana.cookie } })).statusCode).toBe(200);

    // Nothing half-written: the post refused during the outage is not there.
    const titles = rowsOf<{ title: string }>(await database.db.execute(sql`SELECT title FROM posts WHERE author_id = ${ana.id} ORDER BY created_at`)).map((r) => r.title);
    expect(titles).toEqual(['Before', 'After']);

    // The live hub listens again: the new post reaches the socket by NOTIFY (the poll is a minute away).
    expect((await socket.next('post.created', 3000)).post.id).toBe(after.json().post.id);
    figures['recovery: live event, from the write'] = Math.round(performance.now() - written);
    socket.ws.close();
    console.info('outage figures (ms):', figures, 'statuses:', statuses);
  });
});
