// Heavy organizer reads — exports, triage, coverage, plans — cost seconds of
// database time each (test/bench/README.md: triage 1.8 s, a district plan
// 10–54 s at city scale), and twelve triage calls once held every pool
// connection for 40 s while /api/health timed out. Here they wait their turn
// behind a small per-process limit, run on connections of their own
// (db/index.ts, `heavy`), and stop when their client hangs up, so health,
// listings and posting stay fast while reports run.
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
import type { Budget } from '../../db';
import type { Config } from '../config';
import { HttpProblem } from '../http/problem';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Run this route's handler as a heavy read (the routes below are; tests mark their own). */
    heavy?: boolean;
  }
  interface FastifyInstance {
    /** How many heavy reads run and wait now (tests, diagnostics). */
    heavyTurns: { readonly stats: { running: number; waiting: number } };
  }
}

/** The heavy routes, by their URL as registered (server/communities/routes.ts). */
export const HEAVY_ROUTES: ReadonlySet<string> = new Set([
  '/api/communities/:id/export.csv',
  '/api/communities/:id/export.geojson',
  '/api/communities/:id/triage',
  '/api/communities/:id/triage/:needId',
  '/api/communities/:id/coverage',
  '/api/communities/:id/assignments/plan',
]);

/** A queued heavy read that gets no turn this long is refused: the client would rather know. */
export const HEAVY_QUEUE_WAIT_MS = 10_000;
/** Retry-After for a refused heavy read: about what one takes. */
const BUSY_RETRY_AFTER_S = 5;

/**
 * What the server's database connections may spend (main.ts opens the
 * database with it): heavy reads get two connections per read at once,
 * enough for their parallel candidate queries to overlap a little.
 */
export function databaseBudget(config: Config): Budget {
  return {
    statementTimeoutMs: config.statementTimeoutMs || undefined,
    connectTimeoutMs: config.connectTimeoutMs,
    heavyConnections: config.heavyConcurrency * 2,
  };
}

function busy(): HttpProblem {
  const error = new HttpProblem(503, 'The organizer tools are busy with other reports right now; please try again in a few seconds.', undefined, 'busy');
  error.retryAfterS = BUSY_RETRY_AFTER_S;
  return error;
}

/** A counting semaphore with a short, bounded queue. */
class Turns {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly queue: number,
  ) {}

  /** Resolves when it is this caller's turn; rejects at once (busy) when the queue is full, or after waiting too long. */
  take(gone: AbortSignal): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.queue) {
      return Promise.reject(busy());
    }
    return new Promise((resolve, reject) => {
      const leave = (error: Error) => {
        const i = this.waiting.indexOf(start);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          reject(error);
        }
        clearTimeout(timer);
      };
      const start = () => {
        clearTimeout(timer);
        gone.removeEventListener('abort', onGone);
        resolve();
      };
      // Nobody reads the answer; busy() only ends the handler.
      const onGone = () => leave(busy());
      const timer = setTimeout(() => leave(busy()), HEAVY_QUEUE_WAIT_MS);
      gone.addEventListener('abort', onGone, { once: true });
      this.waiting.push(start);
    });
  }

  /** Ends a turn: the next in the queue starts (the count stays), else one fewer runs. */
  give(): void {
    const next = this.waiting.shift();
    if (next) {
      next();
    } else {
      this.running--;
    }
  }

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

const WRAPPED = Symbol('heavy');

export default fp(
  async function budget(app: FastifyInstance, opts: { concurrency: number; queue: number }) {
    const turns = new Turns(opts.concurrency, opts.queue);
    app.decorate('heavyTurns', turns);

    function heavy(handler: RouteHandlerMethod): RouteHandlerMethod {
      const wrapped: RouteHandlerMethod = async function (this: FastifyInstance, request, reply) {
        // The request's own signal aborts when its body has been read (Node's
        // IncomingMessage 'close'); a client that hangs up before its answer
        // shows as the response closing unfinished.
        const gone = new AbortController();
        const onClose = () => {
          if (!reply.raw.writableFinished) {
            gone.abort();
          }
        };
        reply.raw.once('close', onClose);
        await turns.take(gone.signal);
        // The turn lasts until the work is done and the answer has left
        // (a streamed export reads as it sends), whichever ends last; a
        // client that hung up does not end it while its queries still run.
        let pending = 2;
        const end = () => {
          if (--pending === 0) {
            turns.give();
          }
        };
        if (reply.raw.closed) {
          end();
        } else {
          reply.raw.once('close', end);
        }
        try {
          return await app.database.heavy(gone.signal, async () => handler.call(this, request, reply));
        } finally {
          end();
        }
      };
      return Object.assign(wrapped, { [WRAPPED]: true });
    }

    // Wrapping the handler, not a pair of hooks: the turn is taken after
    // authentication and validation (a stranger's request never queues) and
    // given back when the queries end, which no hook sees once the client
    // has gone (onResponse does not run for an unfinished answer).
    app.addHook('onRoute', (route) => {
      if ((HEAVY_ROUTES.has(route.url) || route.config?.heavy === true) && !(WRAPPED in route.handler)) {
        route.handler = heavy(route.handler);
      }
    });
  },
  { name: 'budget', dependencies: ['database'] },
);
