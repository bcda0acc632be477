// The job queue on a real database: two processes claim each job once;
// failures come back after their backoff and give up after the last try;
// a claim whose process died is taken again after its lease; a key lets
// one job wait for many enqueues; a commit that adds jobs wakes the queue.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, rowsOf } from '../../db';
import { backoffMs, enqueue, PermanentJobError, Queue } from '../../server/queue/queue';
import { buildTestApp, openTestDatabasePair, TestClock, type TestContext } from '../helper';

const quiet = { warn: () => {}, error: () => {} };
let dbA: Database;
let dbB: Database;
const clock = new TestClock();

beforeAll(async () => {
  [dbA, dbB] = await openTestDatabasePair();
});
afterAll(async () => {
  await dbB?.close();
  await dbA?.close();
});

async function add(kind: string, payloads: Record<string, unknown>[], key?: string) {
  await dbA.db.transaction((tx) => enqueue(tx, clock.now(), payloads.map((payload) => ({ kind, payload, key }))));
}

async function left(kind: string) {
  return rowsOf<{ attempts: number; failed_at: string | null; last_error: string | null; run_at: string }>(
    await dbA.db.execute(sql`SELECT attempts, failed_at, last_error, run_at::text FROM jobs WHERE kind = ${kind} ORDER BY id`),
  );
}

describe('the job queue', () => {
  it('runs each job once though two processes claim at the same time', async () => {
    const ran: number[] = [];
    const queues = [dbA, dbB].map((d) => {
      const q = new Queue(d.db, clock, quiet, { batch: 7 });
      q.handle('count', async (payload) => {
        await new Promise((r) => setTimeout(r, 1));
        ran.push(payload.n as number);
      });
      return q;
    });
    await add('count', Array.from({ length: 200 }, (_, n) => ({ n })));
    await Promise.all([...queues.map((q) => q.wake()), ...queues.map((q) => q.wake())]);
    expect(ran.sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    expect(await left('count')).toEqual([]);
  });

  it('tries a failed job again after its backoff, gives up after the last try, and at once on a permanent failure', async () => {
    const q = new Queue(dbA.db, clock, quiet, { maxAttempts: 3 });
    let calls = 0;
    q.handle('flaky', async (payload) => {
      calls++;
      if (payload.permanent) {
        throw new PermanentJobError('the address is malformed');
      }
      throw new Error('the server is down');
    });
    await add('flaky', [{}]);
    await q.wake();
    expect(calls).toBe(1);
    const [after1] = await left('flaky');
    expect(after1).toMatchObject({ attempts: 1, failed_at: null, last_error: 'the server is down' });
    // Not due before its backoff (10 s, give or take a tenth).
    clock.advance(8000);
    await q.wake();
    expect(calls).toBe(1);
    clock.advance(backoffMs(1, () => 1));
    await q.wake();
    expect(calls).toBe(2);
    clock.advance(backoffMs(2, () => 1));
    await q.wake();
    expect(calls).toBe(3);
    const [given] = await left('flaky');
    expect(given!.attempts).toBe(3);
    expect(given!.failed_at).not.toBeNull();
    clock.advance(3_600_000 * 2);
    await q.wake();
    expect(calls).toBe(3);

    await add('flaky', [{ permanent: true }]);
    await q.wake();
    expect(calls).toBe(4);
    expect((await left('flaky'))[1]).toMatchObject({ attempts: 1, last_error: 'the address is malformed' });
    expect((await left('flaky'))[1]!.failed_at).not.toBeNull();
  });

  it('takes again the job of a process that died holding it, once its lease is over', async () => {
    const dead = new Queue(dbA.db, clock, quiet, { leaseMs: 60_000 });
    dead.handle('lease', () => new Promise(() => {})); // never finishes: the process "died"
    await add('lease', [{}]);
    void dead.runBatch();
    await expect.poll(async () => (await left('lease'))[0]?.attempts).toBe(1);
    let ran = 0;
    const alive = new Queue(dbB.db, clock, quiet, { leaseMs: 60_000 });
    alive.handle('lease', async () => {
      ran++;
    });
    await alive.wake();
    expect(ran).toBe(0);
    clock.advance(60_001);
    await alive.wake();
    expect(ran).toBe(1);
    expect(await left('lease')).toEqual([]);
  });

  it('keeps one waiting job a key; a handler may put its job off without it counting as a try', async () => {
    const q = new Queue(dbA.db, clock, quiet);
    const seen: unknown[] = [];
    let later = true;
    q.handle('digest', async (payload) => {
      seen.push(payload.n);
      if (later) {
        later = false;
        return { again: new Date(clock.now().getTime() + 300_000) };
      }
    });
    await add('digest', [{ n: 1 }], 'digest:ana');
    await add('digest', [{ n: 2 }], 'digest:ana');
    await add('digest', [{ n: 3 }], 'digest:bob');
    await q.wake();
    expect(seen.sort()).toEqual([1, 3]);
    expect(await left('digest')).toMatchObject([{ attempts: 0, failed_at: null }]);
    clock.advance(300_000);
    await q.wake();
    expect(seen).toEqual([1, 3, 1]);
    expect(await left('digest')).toEqual([]);
  });
});

describe('in the app', () => {
  let ctx: TestContext;
  // Built in a hook (120 s): a second app on the embedded database loads its template anew, slow on a busy machine.
  beforeAll(async () => {
    ctx = await buildTestApp({ queuePollMs: 3_600_000, clock });
  });
  afterAll(async () => {
    await ctx?.app.close();
  });

  it('is woken by the commit that adds a job (NOTIFY), not only by its poll', async () => {
    const done: string[] = [];
    ctx.app.queue.handle('wake', async (payload) => {
      done.push(payload.name as string);
    });
    await ctx.database.db.transaction((tx) => enqueue(tx, clock.now(), [{ kind: 'wake', payload: { name: 'after commit' } }]));
    await expect.poll(() => done, { timeout: 5000 }).toEqual(['after commit']);
  });
});
