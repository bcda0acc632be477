// Durable work after a commit: a job is a row written in the transaction of
// the change that calls for it (a mail to send, a push to deliver), so it
// happens with the change or not at all, and it is run later by whichever
// process claims it first, with retries and backoff.
//
// Why a table of our own and not a queue library: the maintained PostgreSQL
// queues (pg-boss, graphile-worker) each bring their own connection pool and
// schema migrations, and neither runs on the embedded PGlite, which has one
// connection and no separate server. A claim here is one statement,
// `FOR UPDATE SKIP LOCKED`, which both databases have: of several processes
// exactly one gets each due job, and none waits for another's.
import { type SQL, sql } from 'drizzle-orm';
import { type DB, type Executor, jobs, rowsOf } from '../../db';
import type { Clock } from '../clock';

/** NOTIFY channel that wakes every process's queue after a commit that added jobs. */
export const JOBS_CHANNEL = 'aidmap_jobs';

export interface NewJob {
  /** The handler that runs it. */
  kind: string;
  payload: Record<string, unknown>;
  /** At most one job waits per key: enqueueing a key that waits adds nothing (the waiting job does the work). */
  key?: string;
  /** Not before then (default: now). */
  runAt?: Date;
}

/**
 * Adds jobs in the caller's transaction and wakes the queues at its commit.
 * A job whose key already waits is not added.
 */
export async function enqueue(tx: Executor, now: Date, items: NewJob[]): Promise<void> {
  if (items.length === 0) {
    return;
  }
  await tx.execute(sql`WITH added AS (${enqueueSql(now, items)}) SELECT count(*) FROM added`);
}

/**
 * enqueue's insert, for a statement of the caller's own (a data-modifying
 * `WITH` part): the jobs are added, and the queues woken at the commit, only
 * when `when` (SQL) holds, so one statement can write a change and its jobs
 * together. Returns a row per job added.
 */
export function enqueueSql(now: Date, items: NewJob[], when?: SQL): SQL {
  const rows = items.map((j) => ({ kind: j.kind, key: j.key ?? null, payload: j.payload, run_at: (j.runAt ?? now).toISOString() }));
  return sql`
    INSERT INTO ${jobs} (kind, key, payload, run_at, created_at)
    SELECT x.kind, x.key, x.payload, x.run_at, ${now.toISOString()}::timestamptz
    FROM (SELECT pg_notify(${JOBS_CHANNEL}, '')) AS woken,
         jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(kind text, key text, payload jsonb, run_at timestamptz)
    ${when ? sql`WHERE ${when}` : sql``}
    ON CONFLICT (key) WHERE failed_at IS NULL DO NOTHING
    RETURNING 1`;
}

/** What a handler is given. */
export interface JobContext {
  id: number;
  /** 1 on the first try. */
  attempt: number;
  now: Date;
}

/** What a handler may answer: nothing (done, the job goes), or to run again later without it counting as a failure. */
export type JobResult = void | { again: Date };

export type JobHandler = (payload: Record<string, unknown>, job: JobContext) => Promise<JobResult>;

/** A handler's failure that trying again will not mend: the job is given up at once. */
export class PermanentJobError extends Error {}

export interface QueueOptions {
  /** A claim lasts this long; a job whose process died is claimed again after it (default 2 minutes). */
  leaseMs?: number;
  /** Tries before a job is given up (default 10; the waits grow from 10 s to an hour, about 5 hours in all). */
  maxAttempts?: number;
  /** Jobs claimed at once by one claim (default 16). */
  batch?: number;
  /** Claims in flight at once in one process (default 4): jobs that wait on the network overlap. */
  parallel?: number;
}

interface Claimed {
  id: number;
  kind: string;
  key: string | null;
  payload: Record<string, unknown>;
  attempts: number;
}

export interface QueueLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The wait before try n + 1 after n failed: 10 s doubling, at most an hour, with a tenth of jitter. */
export function backoffMs(attempts: number, random = Math.random): number {
  const base = Math.min(10_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
  return Math.round(base * (0.9 + 0.2 * random()));
}

export class Queue {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly batch: number;
  private readonly parallel: number;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
    private readonly log: QueueLog,
    options: QueueOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 120_000;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.batch = options.batch ?? 16;
    this.parallel = options.parallel ?? 4;
  }

  /** Who runs jobs of this kind (one handler a kind). */
  handle(kind: string, handler: JobHandler): void {
    if (this.handlers.has(kind)) {
      throw new Error(`a handler for "${kind}" jobs is already set`);
    }
    this.handlers.set(kind, handler);
  }

  /** Runs what is due now, and again while more comes; a call while running makes it look once more. */
  wake(): Promise<void> {
    if (this.stopped) {
      return Promise.resolve();
    }
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.claimLoops();
      } while (this.again && !this.stopped);
    })()
      .catch((err: unknown) => this.log.error({ err }, 'the job queue could not claim jobs'))
      .finally(() => (this.running = null));
    return this.running;
  }

  /**
   * One claim loop, going on while its claims come back full (more may be
   * due); a full claim starts another beside it, up to `parallel`, so jobs
   * that wait on the network overlap. A wake with one job due makes one
   * claim, not one per loop (each commit that adds a job wakes the queue:
   * issue 17 counted four claims a post).
   */
  private async claimLoops(): Promise<void> {
    const loops: Promise<void>[] = [];
    let active = 0;
    const start = () => {
      active++;
      loops.push(
        (async () => {
          try {
            const more = (claimed: number) => {
              if (claimed === this.batch && active < this.parallel) {
                start();
              }
            };
            while (!this.stopped && (await this.runBatch(undefined, more)) === this.batch) {
              // a full batch: more may be due
            }
          } finally {
            active--;
          }
        })(),
      );
    };
    start();
    // Loops started meanwhile join the list before the one that started them ends; all are waited for, the first failure told.
    let failure: { error: unknown } | null = null;
    for (let i = 0; i < loops.length; i++) {
      await loops[i]!.catch((error: unknown) => (failure ??= { error }));
    }
    if (failure) {
      throw (failure as { error: unknown }).error;
    }
  }

  /**
   * Runs every due job (of `kinds`, default all handled here), and those the
   * jobs add, until none is due, one batch at a time: for tests, whose queue
   * is not woken by commits. Returns how many ran.
   */
  async drain(kinds?: string[], maxBatches = 1000): Promise<number> {
    let ran = 0;
    for (let batches = 0, n = await this.runBatch(kinds); n > 0; n = await this.runBatch(kinds)) {
      ran += n;
      if (++batches >= maxBatches) {
        throw new Error(`jobs still came due after ${maxBatches} batches: does a handler ask to run again at once?`);
      }
    }
    return ran;
  }

  /** Claims no more and waits for the jobs in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Claims up to a batch of due jobs of the kinds handled here (of `only` of them), runs them side by side; returns how many it claimed. */
  async runBatch(only?: string[], onClaimed?: (claimed: number) => void): Promise<number> {
    const kinds = [...this.handlers.keys()].filter((k) => !only || only.includes(k));
    if (kinds.length === 0) {
      return 0;
    }
    const now = this.clock.now();
    const claimed = rowsOf<Claimed>(
      await this.db.execute(sql`
        UPDATE ${jobs} AS j
        SET locked_until = ${new Date(now.getTime() + this.leaseMs).toISOString()}::timestamptz, attempts = j.attempts + 1
        FROM (SELECT id FROM ${jobs}
              WHERE failed_at IS NULL AND run_at <= ${now.toISOString()}::timestamptz
                AND (locked_until IS NULL OR locked_until <= ${now.toISOString()}::timestamptz)
                AND kind IN (SELECT unnest(${`{${kinds.join(',')}}`}::text[]))
              ORDER BY run_at, id
              LIMIT ${this.batch}
              FOR UPDATE SKIP LOCKED) AS due
        WHERE j.id = due.id
        RETURNING j.id, j.kind, j.key, j.payload, j.attempts`),
    );
    onClaimed?.(claimed.length);
    const done = await Promise.all(claimed.map((job) => this.run({ ...job, id: Number(job.id), attempts: Number(job.attempts) })));
    // The batch's finished jobs without a key go in one statement (a process dying first runs them
    // again: at least once, as ever); a keyed one went at once, as an enqueue of its key joins it while it stays.
    const ids = claimed.filter((job, i) => done[i] && job.key === null).map((job) => Number(job.id));
    if (ids.length > 0) {
      await this.db.execute(sql`DELETE FROM ${jobs} WHERE id = ANY(${`{${ids.join(',')}}`}::bigint[])`);
    }
    return claimed.length;
  }

  /** Runs one claimed job; true when it is done (to be deleted), false when it is kept (to run again, or failed). */
  private async run(job: Claimed): Promise<boolean> {
    const handler = this.handlers.get(job.kind)!;
    const payload = typeof job.payload === 'string' ? (JSON.parse(job.payload) as Record<string, unknown>) : job.payload;
    let result: JobResult;
    try {
      result = await handler(payload, { id: job.id, attempt: job.attempts, now: this.clock.now() });
    } catch (err) {
      await this.failed(job, err);
      return false;
    }
    if (result && 'again' in result) {
      // Not a failure: the try is given back.
      await this.db.execute(sql`
        UPDATE ${jobs} SET run_at = ${result.again.toISOString()}::timestamptz, locked_until = NULL, attempts = attempts - 1 WHERE id = ${job.id}`);
      return false;
    }
    if (job.key !== null) {
      await this.db.execute(sql`DELETE FROM ${jobs} WHERE id = ${job.id}`);
    }
    return true;
  }

  private async failed(job: Claimed, err: unknown): Promise<void> {
    const now = this.clock.now();
    const last = err instanceof PermanentJobError || job.attempts >= this.maxAttempts;
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
    await this.db.execute(sql`
      UPDATE ${jobs}
      SET locked_until = NULL, last_error = ${message},
          run_at = ${new Date(now.getTime() + backoffMs(job.attempts)).toISOString()}::timestamptz,
          failed_at = ${last ? now.toISOString() : null}::timestamptz
      WHERE id = ${job.id}`);
    if (last) {
      this.log.error({ err, job: job.kind, jobId: job.id, attempts: job.attempts }, `a "${job.kind}" job failed for good`);
    } else {
      this.log.warn({ err, job: job.kind, jobId: job.id, attempts: job.attempts }, `a "${job.kind}" job failed; it will be tried again`);
    }
  }
}
