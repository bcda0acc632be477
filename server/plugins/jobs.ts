// Every piece of work a process does on a timer, in one place: the hygiene
// sweep, pruning, schedules kept ahead of the clock, the live hub's poll and
// socket heartbeats. A job never overlaps itself (a tick that finds the last
// run still going is skipped), a failure is logged with the job's name and
// tried again next tick, and closing the app stops every timer and waits for
// the runs in flight before the database closes.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** What a module needs to run work periodically (the hub takes one too). */
export interface Scheduler {
  /** Runs `run` every `ms` from now on; the returned function stops it. */
  every(name: string, ms: number, run: () => unknown): () => void;
}

interface Job {
  name: string;
  timer: NodeJS.Timeout;
  running: Promise<unknown> | null;
}

export class Jobs implements Scheduler {
  private readonly jobs = new Set<Job>();
  private stopped = false;

  constructor(private readonly log: Pick<FastifyBaseLogger, 'error'>) {}

  every(name: string, ms: number, run: () => unknown): () => void {
    const job: Job = { name, running: null, timer: setInterval(() => this.tick(job, run), ms) };
    // Timers never keep a process alive: closing the app is what ends it.
    job.timer.unref();
    this.jobs.add(job);
    return () => {
      clearInterval(job.timer);
      this.jobs.delete(job);
    };
  }

  private tick(job: Job, run: () => unknown): void {
    if (job.running || this.stopped) {
      return;
    }
    job.running = Promise.resolve()
      .then(run)
      .catch((err: unknown) => this.log.error({ err, job: job.name }, `job "${job.name}" failed`))
      .finally(() => (job.running = null));
  }

  /** The names of the jobs scheduled now (for tests and the log). */
  get names(): string[] {
    return [...this.jobs].map((j) => j.name);
  }

  /** Stops every timer and waits for the runs in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    const running = [...this.jobs].map((j) => j.running);
    for (const job of this.jobs) {
      clearInterval(job.timer);
    }
    this.jobs.clear();
    await Promise.all(running);
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    jobs: Jobs;
  }
}

export default fp(
  async function jobs(app: FastifyInstance) {
    const scheduler = new Jobs(app.log);
    app.decorate('jobs', scheduler);
    // preClose: before the database's onClose, so no run meets a closed pool.
    app.addHook('preClose', () => scheduler.stop());
  },
  { name: 'jobs' },
);
