// Budgets: a statement over its time is cut and answered 503 with
// Retry-After; heavy organizer reads run a few at a time on connections of
// their own, so health, listings and posting stay fast while reports run,
// and a report whose client hangs up stops.
import { sql } from 'drizzle-orm';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, rowsOf } from '../../db';
import { type App, buildApp } from '../../server/app';
import { loadConfig } from '../../server/config';
import { cloneTestDatabase, openTestDatabase, postBody, signup, TestClock } from '../helper';

const onPostgres = Boolean(process.env.DATABASE_URL);

/** The app as production builds it, with test routes added before it starts. */
async function build(database: Database, env: Record<string, string>, routes: (app: App) => void): Promise<App> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/nonexistent', RATE_LIMIT_SCALE: '1000', ...env });
  const app = await buildApp({ config, database, clock: new TestClock(), logger: false, sweepEveryMs: null });
  routes(app);
  await app.ready();
  return app;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > timeoutMs) {
      throw new Error('condition not met in time');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!onPostgres)('the statement timeout', () => {
  let app: App;
  let database: Database;

  beforeAll(async () => {
    database = await openDatabase({ databaseUrl: (await cloneTestDatabase())!, statementTimeoutMs: 300 });
    app = await build(database, {}, (a) => {
      a.get('/api/test/sleep', async () => {
        await a.db.execute(sql`SELECT pg_sleep(2)`);
        return { slept: true };
      });
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('cuts a statement past it: 503 with Retry-After and a plain message, soon after the budget', async () => {
    // The sleep outlasts the budget: a 503 saying "took too long" is the timeout at work (how soon is bench:abuse's to measure).
    const res = await app.inject({ method: 'GET', url: '/api/test/sleep' });
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().detail).toMatch(/took too long/);
    // The connection is fine afterwards.
    expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });

  it('leaves the live hub its own, longer budget', async () => {
    await expect(database.tail.execute(sql`SELECT pg_sleep(0.6)`)).resolves.toBeDefined();
    const [{ value }] = rowsOf<{ value: string }>(await database.tail.execute(sql`SELECT current_setting('statement_timeout') AS value`)) as [{ value: string }];
    expect(value).toBe('1min');
  });
});

describe('heavy organizer reads', () => {
  let app: App;
  let database: Database;
  let url: string;
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => {};

  beforeAll(async () => {
    const clone = await cloneTestDatabase();
    database = clone ? await openDatabase({ databaseUrl: clone, statementTimeoutMs: 5000, heavyConnections: 2 }) : await openTestDatabase();
    app = await build(database, { HEAVY_CONCURRENCY: '2', HEAVY_QUEUE: '1' }, (a) => {
      // A report held open until the test lets it finish.
      a.get('/api/test/held', { config: { heavy: true } }, async () => {
        await gate;
        await a.db.execute(sql`SELECT 1`);
        return { done: true };
      });
      // A report fanning out as triage does (several queries at once), each slow.
      a.get('/api/test/fanout', { config: { heavy: true } }, async () => {
        await Promise.all(Array.from({ length: 8 }, () => a.db.execute(sql`SELECT pg_sleep(0.5)`)));
        return { done: true };
      });
      a.get('/api/test/slow', { config: { heavy: true } }, async () => {
        await a.db.execute(sql`SELECT pg_sleep(4.5)`);
        return { done: true };
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    open();
    await app?.close();
  });

  it('run two at a time with one waiting; the rest, real organizer routes included, are told busy, while health and posting stay fast', async () => {
    gate = new Promise((resolve) => (open = resolve));
    const organizer = await signup(app, 'Organizer');
    const created = await app.inject({
      method: 'POST',
      url: '/api/communities',
      headers: { cookie: organizer.cookie },
      payload: {
        name: 'Crown Heights',
        slug: `ch-${Math.random().toString(36).slice(2, 8)}`,
        boundary: { type: 'Polygon', coordinates: [[[-73.962, 40.664], [-73.92, 40.664], [-73.92, 40.68], [-73.962, 40.68], [-73.962, 40.664]]] },
        timezone: 'America/New_York',
        joinPolicy: 'open',
      },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().community.id as string;
    const range = { from: '2026-12-01T00:00:00Z', to: '2026-12-08T00:00:00Z' };
    const organizerReads = () => [
      app.inject({ method: 'GET', url: `/api/communities/${id}/export.csv`, headers: { cookie: organizer.cookie } }),
      app.inject({ method: 'GET', url: `/api/communities/${id}/export.geojson`, headers: { cookie: organizer.cookie } }),
      app.inject({ method: 'GET', url: `/api/communities/${id}/triage`, headers: { cookie: organizer.cookie } }),
      // One need's helpers list the community's offers of its category: as heavy as triage.
      app.inject({ method: 'GET', url: `/api/communities/${id}/triage/00000000-0000-4000-8000-000000000001`, headers: { cookie: organizer.cookie } }),
      app.inject({ method: 'GET', url: `/api/communities/${id}/coverage?${new URLSearchParams(range)}`, headers: { cookie: organizer.cookie } }),
      app.inject({ method: 'POST', url: `/api/communities/${id}/assignments/plan`, headers: { cookie: organizer.cookie }, payload: range }),
    ];

    const held = Array.from({ length: 3 }, () => app.inject({ method: 'GET', url: '/api/test/held' }));
    await until(() => app.heavyTurns.stats.running === 2 && app.heavyTurns.stats.waiting === 1);
    // Refused while the held ones still hold their turns: not queued behind them.
    const refused = await Promise.all([app.inject({ method: 'GET', url: '/api/test/held' }), ...organizerReads()]);
    for (const res of refused) {
      expect(res.statusCode, res.body).toBe(503);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.json().detail).toMatch(/organizer tools are busy/);
    }
    expect(app.heavyTurns.stats.running).toBe(2);
    // A stranger is not queued: authentication comes first.
    expect((await app.inject({ method: 'GET', url: `/api/communities/${id}/triage` })).statusCode).toBe(401);

    // Health and posting answer while the heavy reads still hold every turn (they wait for `open`): they do not queue behind them.
    expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: organizer.cookie }, payload: postBody() })).statusCode).toBe(201);
    expect(app.heavyTurns.stats).toEqual({ running: 2, waiting: 1 });

    open();
    for (const res of await Promise.all(held)) {
      expect(res.statusCode).toBe(200);
    }
    expect(app.heavyTurns.stats).toEqual({ running: 0, waiting: 0 });
    // With the turns free, the organizer routes answer (one after another: five at once would be two too many).
    for (const read of ['export.csv', 'export.geojson', 'triage', `coverage?${new URLSearchParams(range)}`]) {
      const res = await app.inject({ method: 'GET', url: `/api/communities/${id}/${read}`, headers: { cookie: organizer.cookie } });
      expect(res.statusCode, res.body).toBe(200);
    }
    const planned = await app.inject({ method: 'POST', url: `/api/communities/${id}/assignments/plan`, headers: { cookie: organizer.cookie }, payload: range });
    expect(planned.statusCode, planned.body).toBe(200);
    expect(app.heavyTurns.stats).toEqual({ running: 0, waiting: 0 });
  });

  it.skipIf(!onPostgres)('run on connections of their own: two reports of eight slow queries each leave the request pool free', async () => {
    const reports = [app.inject({ method: 'GET', url: '/api/test/fanout' }), app.inject({ method: 'GET', url: '/api/test/fanout' })];
    await until(() => app.heavyTurns.stats.running === 2);
    await new Promise((r) => setTimeout(r, 100));
    const sleeping = rowsOf<{ n: number }>(
      await database.tail.execute(sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(0.5)%' AND pid <> pg_backend_pid()`),
    )[0]!.n;
    expect(sleeping).toBe(2); // heavyConnections: 2, however many the reports ask for at once
    let reportsDone = false;
    void Promise.all(reports).then(() => (reportsDone = true));
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => app.inject({ method: 'GET', url: '/api/health' })),
      ...Array.from({ length: 10 }, () => app.inject({ method: 'GET', url: '/api/posts?bbox=-74,40.6,-73.9,40.75' })),
    ]);
    expect(answers.map((r) => r.statusCode)).toEqual(Array.from({ length: 20 }, () => 200));
    // Answered before the reports' sixteen half-second queries are through: the request pool was never theirs.
    expect(reportsDone).toBe(false);
    for (const res of await Promise.all(reports)) {
      expect(res.statusCode).toBe(200);
    }
  });

  it.skipIf(!onPostgres)('stop when the client hangs up: the query is cancelled and the turn given back', async () => {
    const abort = new AbortController();
    const request = fetch(`${url}/api/test/slow`, { signal: abort.signal }).catch((error: unknown) => error);
    const running = () =>
      database.tail
        .execute(sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(4.5)%' AND pid <> pg_backend_pid()`)
        .then((r) => rowsOf<{ n: number }>(r)[0]!.n);
    await until(async () => (await running()) === 1);
    const hungUp = performance.now();
    abort.abort();
    expect(await request).toBeInstanceOf(Error);
    await until(async () => (await running()) === 0 && app.heavyTurns.stats.running === 0, 2000);
    console.info(`heavy read cancelled ${Math.round(performance.now() - hungUp)} ms after its client hung up`);
  });
});
