import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { type Database, loadSecret, openDatabase, openPglite } from '../db';
import { applyOffset, derivedOffset, type LatLng } from '../server/geo/geo';
import { LOCATION_KEY } from '../server/posts/service';
import { POST_SAVED_JOB } from '../server/posts/followup';
import { type App, type AppOptions, buildApp } from '../server/app';
import type { Clock } from '../server/clock';
import { loadConfig } from '../server/config';
import { databaseUrlFor } from './global-setup';

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  private t: number;
  constructor(iso = '2026-12-01T12:00:00Z') {
    this.t = Date.parse(iso);
  }
  now(): Date {
    return new Date(this.t);
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

let counter = 0;

/** With DATABASE_URL: the URL of a fresh clone of the run's migrated template; else null. */
export async function cloneTestDatabase(): Promise<string | null> {
  const template = inject('pgTemplate');
  const baseUrl = process.env.DATABASE_URL;
  if (!template || !baseUrl) {
    return null;
  }
  const name = `aidmap_t_${inject('runId')}_${process.pid}_${++counter}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    // Two files cloning at the same instant can collide on the template's lock; try again.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        break;
      } catch (error) {
        if (attempt >= 10) {
          throw error;
        }
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
      }
    }
  } finally {
    await admin.end();
  }
  return databaseUrlFor(baseUrl, name);
}

/**
 * Two handles on one fresh database, as two processes would have: two
 * connection pools on PostgreSQL; on the embedded database (one process by
 * nature) two drizzle handles on one PGlite.
 */
export async function openTestDatabasePair(): Promise<[Database, Database]> {
  const url = await cloneTestDatabase();
  if (url) {
    return [await openDatabase({ databaseUrl: url, max: 5 }), await openDatabase({ databaseUrl: url, max: 5 })];
  }
  const first = await openTestDatabase();
  const pg = (first as Database & { pglite?: PGlite }).pglite!;
  const second = await openDatabase({ pglite: pg });
  return [first, { ...second, close: async () => {} }];
}

/** A fresh, migrated database for this test file: a clone of the run's template. */
export async function openTestDatabase(): Promise<Database> {
  const url = await cloneTestDatabase();
  if (url) {
    return openDatabase({ databaseUrl: url, max: 5 });
  }
  const tarball = inject('pgliteTemplate');
  if (!tarball) {
    throw new Error('global setup prepared no template database');
  }
  const pg = await openPglite({ loadDataDir: new Blob([readFileSync(tarball)]) });
  const database = await openDatabase({ pglite: pg });
  return { ...database, pglite: pg, close: async () => (pg.closed ? undefined : pg.close()) } as Database;
}

export interface TestContext {
  app: App;
  clock: TestClock;
  database: Database;
}

/** The whole app on a fresh database, through the same buildApp as production. */
export async function buildTestApp(
  options: {
    clock?: TestClock;
    env?: NodeJS.ProcessEnv;
    logStream?: AppOptions['logStream'];
    /** A database opened by the test (say, one of a pair); a fresh one otherwise. */
    database?: Database;
    live?: AppOptions['live'];
    /** The job queue's poll (and NOTIFY wake-ups); default none: a test runs jobs by `app.queue.wake()`. */
    queuePollMs?: number | null;
  } = {},
): Promise<TestContext> {
  const clock = options.clock ?? new TestClock();
  const database = options.database ?? (await openTestDatabase());
  // Rate limits are per IP, and every test request comes from 127.0.0.1: raised unless a test sets RATE_LIMIT_SCALE.
  const config = loadConfig({ LOG_LEVEL: options.logStream ? 'trace' : 'silent', DATA_DIR: '/nonexistent', RATE_LIMIT_SCALE: '1000', ...options.env });
  const app = await buildApp({
    config,
    database,
    clock,
    logger: options.logStream !== undefined,
    logStream: options.logStream,
    ...(options.live ? { live: options.live } : {}),
    sweepEveryMs: null,
    queuePollMs: options.queuePollMs ?? null,
  });
  await app.ready();
  return { app, clock, database };
}

/**
 * An app for the tests of a file (or of the describe block it is called in):
 * built before the first of them, and before the hooks registered after this
 * call; closed after the last. Its fields are there from then on.
 */
export function useTestApp(options: Parameters<typeof buildTestApp>[0] = {}): TestContext {
  const ctx = {} as TestContext;
  beforeAll(async () => {
    Object.assign(ctx, await buildTestApp(options));
  });
  afterAll(async () => {
    await ctx.app?.close();
  });
  return ctx;
}

/**
 * Runs the follow-ups of the posts saved so far (their suggestions, a new
 * need's alerts): jobs after the reply, which a deployed process runs as
 * its commit wakes it; a test app's queue is not woken, so tests call this.
 * Other jobs (mail, push) stay for the test to run.
 */
export async function runFollowUps(app: App): Promise<void> {
  await app.queue.drain([POST_SAVED_JOB]);
}

let emails = 0;

/** Signs a new user up; returns the cookie header to act as them. */
/** A signed-up neighbour as the tests hold one: the session cookie and the account id. */
export type TestUser = { cookie: string; id: string };

export async function signup(app: App, name = 'Neighbor'): Promise<TestUser & { email: string }> {
  const email = `user${++emails}-${process.pid}@example.org`;
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/signup',
    payload: { email, password: 'correct horse battery', displayName: name },
  });
  if (res.statusCode !== 201) {
    throw new Error(`signup failed: ${res.statusCode} ${res.body}`);
  }
  const setCookie = res.headers['set-cookie'];
  const first = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
  return { cookie: first.split(';')[0]!, id: res.json().user.id, email };
}

/** A valid post body (a meal offer tomorrow in Brooklyn), with overrides. */
export function postBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'offer',
    category: 'meal',
    title: 'Vegetarian dinners',
    description: 'Lentil soup and bread',
    location: { lat: 40.6782, lng: -73.9442 },
    radiusM: 3000,
    windows: [{ start: '2026-12-02T17:00:00-05:00', end: '2026-12-02T19:00:00-05:00' }],
    capacity: 4,
    details: { dietary: ['vegetarian'] },
    ...overrides,
  };
}

/**
 * Where the server will show `point` when `authorId` posts there: the same
 * derivation as the posts service, with this database's key. Tests that
 * assert distances or order seen by others compute them from this point
 * (candidates are judged by public points), or search for true places whose
 * public points stand as a test needs.
 */
export async function publicPointOf(database: Database, authorId: string, point: LatLng): Promise<LatLng> {
  const key = await loadSecret(database.db, LOCATION_KEY);
  return applyOffset(point, derivedOffset(key, authorId, point));
}
