// The job queue in the app: handlers are set by the features (mail, push),
// due jobs run when a commit that added some wakes this process (NOTIFY),
// and on a poll for those whose time has come (retries, digests) or whose
// wake-up was missed. Closing stops the claims and waits for the jobs in hand.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { JOBS_CHANNEL, Queue, type QueueOptions } from './queue';

declare module 'fastify' {
  interface FastifyInstance {
    queue: Queue;
  }
}

export interface QueuePluginOptions extends QueueOptions {
  /** How often to look for due jobs unwoken; null: never (tests call `app.queue.wake()`). */
  pollMs: number | null;
}

export default fp(
  async function queue(app: FastifyInstance, opts: QueuePluginOptions) {
    const q = new Queue(app.db, app.clock, app.log, opts);
    app.decorate('queue', q);
    let unlisten: (() => Promise<void>) | null = null;
    app.addHook('onReady', async () => {
      if (opts.pollMs !== null) {
        unlisten = await app.database.listen(JOBS_CHANNEL, () => void q.wake());
        app.jobs.every('job queue', opts.pollMs, () => q.wake());
        void q.wake();
      }
    });
    // preClose: the database is still open for the jobs in hand.
    app.addHook('preClose', async () => {
      await q.stop();
      await unlisten?.();
    });
  },
  { name: 'queue', dependencies: ['jobs', 'database'] },
);
