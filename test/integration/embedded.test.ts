// The zero-setup path, whatever DATABASE_URL says: PGlite + PostGIS in a data
// directory on disk, migrated on open and reused by the next start.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../db';
import { type App, buildApp } from '../../server/app';
import { loadConfig } from '../../server/config';
import { CATEGORIES } from '../../db/schema';
import { postBody, TestClock } from '../helper';
import { DEMO_PASSWORD, seedDemo } from '../../server/demo/seed';

const dataDir = mkdtempSync(join(tmpdir(), 'aidmap-data-'));
const clock = new TestClock();
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function start(): Promise<{ app: App; database: Database }> {
  const database = await openDatabase({ dataDir });
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir });
  const app = await buildApp({ config, database, clock, logger: false });
  return { app, database };
}

// It does the same whatever DATABASE_URL says, so CI's PostgreSQL run leaves it to the embedded run.
describe.skipIf(Boolean(process.env.DATABASE_URL))('embedded PGlite + PostGIS in DATA_DIR', { timeout: 120_000 }, () => {
  it('refuses a data directory another live process holds, saying what to do', async () => {
    const held = mkdtempSync(join(tmpdir(), 'aidmap-held-'));
    writeFileSync(join(held, 'aidmap.lock'), String(process.ppid));
    await expect(openDatabase({ dataDir: held })).rejects.toThrow(/in use by another Aidmap process \(pid \d+\)\. Stop that process first/);
    rmSync(held, { recursive: true, force: true });
  });

  let postId = '';
  let publicLocation: unknown;

  it('creates and migrates a new data directory on first start', async () => {
    const { app, database } = await start();
    expect(database.driver).toBe('pglite');
    const signup = await app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { email: 'embedded@example.org', password: 'correct horse battery', displayName: 'Em' },
    });
    expect(signup.statusCode).toBe(201);
    const cookie = String(signup.headers['set-cookie']).split(';')[0]!;
    const created = await app.inject({ method: 'POST', url: '/api/posts', headers: { cookie }, payload: postBody() });
    expect(created.statusCode, created.body).toBe(201);
    postId = created.json().post.id;
    const listed = await app.inject({ method: 'GET', url: '/api/posts?bbox=-74.05,40.60,-73.85,40.75&from=2026-12-02T00:00:00Z' });
    expect(listed.json().items.map((p: { id: string }) => p.id)).toEqual([postId]);
    publicLocation = listed.json().items[0].location;
    expect(existsSync(join(dataDir, 'aidmap.lock'))).toBe(true);
    await app.close();
    expect(existsSync(join(dataDir, 'aidmap.lock'))).toBe(false);
  });

  it('reuses the data on the next start: accounts, posts and their public points', async () => {
    const { app } = await start();
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'embedded@example.org', password: 'correct horse battery' },
    });
    expect(login.statusCode).toBe(200);
    const read = await app.inject({ method: 'GET', url: `/api/posts/${postId}` });
    expect(read.statusCode).toBe(200);
    expect(read.json().post.location).toEqual(publicLocation);
    await app.close();
  });

  it('seeds a demo neighborhood across every category, once', async () => {
    const { app, database } = await start();
    const first = await seedDemo(database.db, clock.now());
    expect(first.skipped).toBe(false);
    expect(first.posts).toBeGreaterThanOrEqual(24);
    const res = await app.inject({ method: 'GET', url: '/api/posts?bbox=-74.05,40.60,-73.85,40.75&limit=200' });
    const items = res.json().items as { category: string; kind: string; recurrence?: unknown; author: { displayName: string } }[];
    expect(items.length).toBe(first.posts + 1);
    expect(new Set(items.map((p) => p.category))).toEqual(new Set(CATEGORIES));
    expect(items.filter((p) => p.recurrence).length).toBeGreaterThan(5);
    expect(new Set(items.map((p) => p.kind))).toEqual(new Set(['need', 'offer']));
    const again = await seedDemo(database.db, clock.now());
    expect(again.skipped).toBe(true);
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'rosa@demo.aidmap.example', password: DEMO_PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    await app.close();
  });
});
