import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { intarray } from '@electric-sql/pglite/contrib/intarray';
import { postgis } from '@electric-sql/pglite-postgis';
import { eq, type SQL, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import postgres from 'postgres';
import * as schema from './schema';

export * from './schema';
export { schema };

/** The drizzle database either driver gives; driver types stay inside db/. */
export type DB = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction or the database itself: repositories take either. */
export type Executor = Pick<DB, 'select' | 'insert' | 'update' | 'delete' | 'execute' | 'transaction'>;

export interface Database {
  db: DB;
  /**
   * For the live hub's reads of the events table: on PostgreSQL a connection
   * of its own, so fan-out never queues behind the request pool's
   * transactions (bench:live measured it lagging on the process taking the
   * writes); on the embedded database, the one connection there is.
   */
  tail: DB;
  driver: 'postgres' | 'pglite';
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  /**
   * Calls `onNotify` for each NOTIFY on `channel` (from any process; on the
   * embedded database, from this one) until the returned function is called.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Runs `fn` as a heavy read (an organizer's export, triage, coverage or
   * plan). On PostgreSQL its queries go to connections of their own
   * (`heavyConnections`), so however many it runs at once it never takes the
   * request pool; and when `signal` aborts (the client went away) its
   * queries in flight are cancelled and later ones fail at once, with
   * SQLSTATE 57014 as a statement timeout would. On the embedded database it
   * just runs `fn`: a PGlite statement runs to its end on the one thread.
   */
  heavy<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** What a server's connections may spend; scripts and benches open without limits. */
export interface Budget {
  /**
   * Longest a statement of the request pool (and of heavy reads) may run,
   * in ms (the server's STATEMENT_TIMEOUT_MS); absent: no limit. Migrations
   * never have one; the live hub's tail gets TAIL_STATEMENT_TIMEOUT_MS.
   */
  statementTimeoutMs?: number;
  /** Longest to wait for a new PostgreSQL connection, in ms (default 5 s; postgres.js alone waits 30 s). */
  connectTimeoutMs?: number;
  /** PostgreSQL connections set apart for heavy reads (default 4). */
  heavyConnections?: number;
}

export type OpenOptions =
  | ({ databaseUrl: string; max?: number } & Budget)
  | ({ dataDir: string } & Budget)
  /** An embedded database someone else opened (tests load one from a migrated template). */
  | ({ pglite: PGlite } & Budget);

/**
 * The live hub's tail reads events by `seq` in batches (milliseconds) and
 * prunes 48-hour-old events (seconds at bench:live's rates); the request
 * budget would cut a large prune, and a prune cut is only retried to be cut
 * again. A minute still frees the hub's one connection from a statement
 * that is wedged rather than slow; a cut read is retried on the next wake.
 */
export const TAIL_STATEMENT_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_HEAVY_CONNECTIONS = 4;

/**
 * postgres.js waits before reconnecting after a failed connection, growing
 * to 20 s (3^n/100 s): while the database was away, a query queued behind
 * that wait for up to 20 s before failing, and the first queries after it
 * came back waited out the same delay (measured: 20 requests at once took
 * 89 s to fail). Here the wait stays under a second, with jitter so many
 * processes do not reconnect in step: a request during an outage fails in
 * about a second (503), and recovery is as quick. A refused connection is
 * cheap for the database; requests, not a timer, drive the attempts.
 */
function reconnectBackoff(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 1);
}

export const migrationsFolder = join(import.meta.dirname, 'migrations');
const casing = 'snake_case' as const;

/** Opens a new embedded PostgreSQL; PostGIS (and btree_gist, intarray) must be loaded on every open (STACK.md, trap 3). */
export async function openPglite(options: { dataDir?: string; loadDataDir?: Blob | File } = {}): Promise<PGlite> {
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
  }
  return PGlite.create({ ...options, extensions: { postgis, btree_gist, intarray } });
}

/**
 * Opens the database the configuration names and brings its schema up to
 * date: PostgreSQL through postgres.js when a URL is given, else PGlite with
 * PostGIS in a data directory.
 */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  if ('databaseUrl' in options) {
    const connectTimeout = (options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) / 1000;
    await migrateServer(options.databaseUrl, connectTimeout);
    const open = (max: number, statementTimeoutMs: number | undefined) =>
      postgres(options.databaseUrl, {
        max,
        onnotice: () => {},
        connect_timeout: connectTimeout,
        backoff: reconnectBackoff,
        // jit off: the app's queries are short index scans, and at a million posts the
        // planner's cost estimates pass jit_above_cost, where compiling takes longer
        // than the query (test/bench/README.md measured 541 ms with JIT, 249 ms without).
        connection: { jit: 'off', ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}) },
      });
    const client = open(options.max ?? 10, options.statementTimeoutMs);
    const heavyClient = open(options.heavyConnections ?? DEFAULT_HEAVY_CONNECTIONS, options.statementTimeoutMs);
    // drizzle sets its type parsers on the client it is given; heavy reads must parse alike.
    drizzlePostgres(heavyClient, { casing });
    const tailClient = open(1, options.statementTimeoutMs ? TAIL_STATEMENT_TIMEOUT_MS : undefined);
    // Past its statement timeout and a connection's wait, a query has no answer coming.
    const slack = (options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) + 1000;
    const guard = new Guard();
    const requestDeadline = options.statementTimeoutMs ? options.statementTimeoutMs + slack : undefined;
    const db = drizzlePostgres(routed(client, heavyClient, guard, requestDeadline), { schema, casing }) as unknown as DB;
    const tail = drizzlePostgres(routed(tailClient, null, guard, options.statementTimeoutMs ? TAIL_STATEMENT_TIMEOUT_MS + slack : undefined), {
      schema,
      casing,
    }) as unknown as DB;
    return {
      db,
      tail,
      driver: 'postgres',
      // Through the guard too: a ping left pending would hold /api/health's shared ping for good.
      ping: async () => {
        guard.check();
        await guard.watch(client.unsafe('select 1') as unknown as Pending, PING_DEADLINE_MS);
      },
      // postgres.js listens on a connection of its own (with the pool's
      // options, so the short reconnect backoff) and, whenever that
      // connection closes, listens again, until it succeeds: the outage
      // test sees live events by NOTIFY within a second of the database's return.
      listen: async (channel, onNotify) => {
        const { unlisten } = await client.listen(channel, (payload) => onNotify(payload));
        return unlisten;
      },
      heavy: (signal, fn) => inHeavyScope(signal, fn),
      close: async () => {
        await Promise.all([client.end({ timeout: 5 }), heavyClient.end({ timeout: 5 }), tailClient.end({ timeout: 5 })]);
      },
    };
  }
  const owned = !('pglite' in options);
  const unlock = 'dataDir' in options ? lockDataDir(options.dataDir) : () => {};
  let client: PGlite;
  try {
    client = 'pglite' in options ? options.pglite : await openPglite({ dataDir: options.dataDir });
  } catch (error) {
    unlock();
    throw error;
  }
  const db = drizzlePglite(client, { schema, casing }) as unknown as DB;
  await migratePglite(drizzlePglite(client, { casing }), { migrationsFolder });
  if (options.statementTimeoutMs) {
    // Said for parity with PostgreSQL, but PGlite 0.5 does not enforce it
    // (measured: pg_sleep(2) under a 300 ms timeout ran its 2 s): the timer
    // is a signal, and the WASM build has none. A statement also holds the
    // process's one thread until it ends, so nothing could answer meanwhile.
    await client.exec(`SET statement_timeout = ${Math.floor(options.statementTimeoutMs)}`);
  }
  return {
    db,
    tail: db,
    driver: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    listen: async (channel, onNotify) => {
      const unlisten = await client.listen(channel, (payload) => onNotify(payload));
      return async () => {
        if (!client.closed) {
          await unlisten();
        }
      };
    },
    heavy: (_signal, fn) => fn(),
    close: async () => {
      if (owned && !client.closed) {
        await client.close();
      }
      unlock();
    },
  };
}

/**
 * PGlite is one process's database: a second process opening the same
 * directory (say `npm run seed` while the server runs) would corrupt it. A
 * lock file holding the owner's pid keeps the second one out, with a message
 * that says what to do; a lock left by a process that died is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'aidmap.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
      const owner = Number(readFileSync(path, 'utf8'));
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new Error(
          `The embedded database in ${dataDir} is in use by another Aidmap process (pid ${owner}). ` +
            'Stop that process first, or set DATABASE_URL to share a PostgreSQL server.',
          { cause: error },
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`Could not lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Applies pending migrations over one dedicated connection (drizzle's
 * migrator wants a single connection), holding an advisory lock so that
 * several processes starting at once do not race each other.
 */
async function migrateServer(databaseUrl: string, connectTimeoutS: number): Promise<void> {
  // No statement timeout: a migration may build an index over millions of
  // rows, and the advisory lock makes other processes wait for it, not redo it.
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: connectTimeoutS });
  try {
    await client`select pg_advisory_lock(hashtext('aidmap:migrate'))`;
    await migratePostgres(drizzlePostgres(client, { casing }), { migrationsFolder });
  } catch (error) {
    if (/extension "postgis"|postgis\.control/i.test(String((error as Error).message) + String((error as { cause?: Error }).cause?.message))) {
      throw new Error(
        'This PostgreSQL server has no PostGIS. Install it (Debian/Ubuntu: apt-get install postgresql-15-postgis-3, ' +
          'matching your PostgreSQL version) and start Aidmap again.',
        { cause: error },
      );
    }
    throw error;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/**
 * A named secret of 32 random bytes, made by whichever process asks first and
 * then shared by all of them (insert-if-absent, then read).
 */
export async function loadSecret(db: DB, name: string): Promise<Buffer> {
  await db.insert(schema.secrets).values({ name, value: randomBytes(32) }).onConflictDoNothing();
  const [row] = await db.select({ value: schema.secrets.value }).from(schema.secrets).where(eq(schema.secrets.name, name));
  return Buffer.from(row!.value);
}

// ---- heavy reads: their own connections, cancelled when the client goes away ----

interface HeavyScope {
  signal: AbortSignal;
  /** Every query issued in the scope; cancelling a finished one does nothing. */
  queries: Set<{ cancel(): unknown }>;
}

const heavyScope = new AsyncLocalStorage<HeavyScope>();

/** A postgres.js query as seen here: a promise that can be cancelled (and, by its driver, rejected). */
type Pending = Promise<unknown> & { cancel(): unknown; reject(error: Error): void };

/** How long /api/health's `select 1` may take before it counts as no answer. */
const PING_DEADLINE_MS = 2000;
/** After a connection could not be made, queries fail at once for this long (then one tries again). */
const DOWN_FOR_MS = 500;

/**
 * Two guards around postgres.js for when the database goes away.
 *
 * A deadline: postgres.js can leave a query pending for good after failed
 * connections (measured: in bursts of 20 queries while the database
 * refused connections, 2–14 of 69 never settled, and their requests hung
 * until the client gave up; cf. porsager/postgres#1089, #1186), and it bounds
 * neither a connection's wait in its queue nor a half-open socket. A query
 * still pending past its statement timeout plus a connection's wait is
 * cancelled (taken off the queue, or a cancel request sent) and failed.
 * A transaction still waiting for its connection then is failed too (its
 * BEGIN is postgres.js's own query, out of reach): were it to start later,
 * its body refuses to run, so nothing is written after the answer.
 *
 * A short circuit: when a new connection was just refused, the next
 * queries fail at once for DOWN_FOR_MS rather than each queueing for its
 * own refused connection; then one tries again, so recovery is noticed
 * within about half a second. Only failures to connect open it: a single
 * connection dropped (a proxy's idle cut) does not stop everyone's queries.
 * Queries and transactions already waiting for a connection fail with it:
 * after the database had ended every connection, one query or transaction
 * per closed connection otherwise waited for the deadline (queries) or for
 * the database's return (transactions; bench:abuse's outage, and
 * test/integration/outage.test.ts).
 */
class Guard {
  private downUntil = 0;
  /** What waits for a connection now: fails it (once) with the error given. */
  private readonly waiting = new Set<(error: Error) => void>();

  /** Throws while connections were just refused. */
  check(): void {
    if (performance.now() < this.downUntil) {
      throw down();
    }
  }

  /** Fails `query` if it has not settled within `deadlineMs`, and notes refused connections. */
  watch<Q extends Pending>(query: Q, deadlineMs: number | undefined): Q {
    const timer =
      deadlineMs === undefined
        ? undefined
        : setTimeout(() => {
            this.waiting.delete(unsent);
            void Promise.resolve(query.cancel()).catch(() => {});
            query.reject(Object.assign(new Error(`the database gave no answer within ${deadlineMs} ms`), { code: 'QUERY_DEADLINE' }));
          }, deadlineMs);
    timer?.unref();
    // Failed when connections are refused only while unsent (postgres.js
    // sets `state` as it sends): one sent may still be answered. Failed,
    // not cancelled: postgres.js keeps a connection whose first query was
    // cancelled before it connected in its "connecting" state for good (the
    // live hub's one connection was lost so); the query runs if its
    // connection comes back, and nobody waits for its answer.
    const unsent = (error: Error) => {
      if (((query as { state?: unknown }).state ?? null) === null) {
        this.waiting.delete(unsent);
        clearTimeout(timer);
        query.reject(error);
      }
    };
    this.waiting.add(unsent);
    // After the caller's own `then` (drizzle chains `.values()` first, and a
    // postgres.js query starts on its first `then`).
    queueMicrotask(() => {
      query.then(
        () => {
          clearTimeout(timer);
          this.waiting.delete(unsent);
        },
        (error: unknown) => {
          clearTimeout(timer);
          this.waiting.delete(unsent);
          this.noteFailure(error);
        },
      );
    });
    return query;
  }

  /**
   * Runs `begin(body)` (postgres.js's begin or savepoint) so that waiting
   * for its connection is bounded like a query: by `deadlineMs`, and by
   * refused connections. Once abandoned, the body never runs.
   */
  transaction<T>(begin: (body: (tx: postgres.TransactionSql) => unknown) => Promise<T>, body: (tx: postgres.TransactionSql) => unknown, deadlineMs: number | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let abandoned = false;
      const fail = (error: Error) => {
        abandoned = true;
        this.waiting.delete(fail);
        clearTimeout(timer);
        reject(error);
      };
      const timer =
        deadlineMs === undefined
          ? undefined
          : setTimeout(() => fail(Object.assign(new Error(`the database gave no connection within ${deadlineMs} ms`), { code: 'QUERY_DEADLINE' })), deadlineMs);
      timer?.unref();
      this.waiting.add(fail);
      begin((tx) => {
        if (abandoned) {
          throw Object.assign(new Error('the request was answered before this transaction began'), { code: 'DATABASE_DOWN' });
        }
        this.waiting.delete(fail);
        clearTimeout(timer);
        return body(tx);
      }).then(resolve, (error: unknown) => {
        this.waiting.delete(fail);
        clearTimeout(timer);
        this.noteFailure(error);
        reject(error as Error);
      });
    });
  }

  private noteFailure(error: unknown): void {
    if (refusedConnection(error)) {
      this.downUntil = performance.now() + DOWN_FOR_MS;
      for (const fail of [...this.waiting]) {
        fail(down());
      }
    }
  }
}

function down(): Error {
  return Object.assign(new Error('the database refused a connection moments ago; not trying again yet'), { code: 'DATABASE_DOWN' });
}

/** Errors that say a new connection could not be made (not that one in use was lost). */
function refusedConnection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'CONNECT_TIMEOUT' ||
    code === '57P03' ||
    code === '53300' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH' ||
    (code === '55000' && /not currently accepting connections/i.test(String((error as Error).message)))
  );
}

function inHeavyScope<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  const scope: HeavyScope = { signal, queries: new Set() };
  const cancelAll = () => {
    for (const query of scope.queries) {
      // A cancel opens a connection of its own; if that fails, the statement timeout still ends the query.
      void Promise.resolve(query.cancel()).catch(() => {});
    }
  };
  signal.addEventListener('abort', cancelAll, { once: true });
  return heavyScope.run(scope, fn).finally(() => signal.removeEventListener('abort', cancelAll));
}

/** What a query refused in an aborted scope fails with: what PostgreSQL says of a cancelled one. */
function cancelled(): Error {
  return Object.assign(new Error('canceling statement due to user request: the client went away'), { code: '57014' });
}

type Sql = postgres.Sql | postgres.TransactionSql;
type Unsafe = (...args: unknown[]) => Pending;
type Begin = (...args: unknown[]) => Promise<unknown>;

/** Statements with more parameters than this are not prepared: their text varies with a list's length. */
const PREPARED_MAX_PARAMETERS = 64;

/**
 * drizzle runs every statement it was not given a name for with `prepare:
 * false`, and postgres.js then asks the server for its parameters' types
 * before each run (Parse and Describe, wait, then Bind and Execute): two
 * round trips a statement instead of one, and a parse and a plan each time
 * (issue 17: half a post's round trips; planning was most of PostgreSQL's
 * time for a post). A statement with parameters is prepared instead, once
 * per connection, then run in one round trip; PostgreSQL plans its first
 * five runs for their values and then keeps a generic plan only when that is
 * no costlier (plan_cache_mode `auto`, its default). Without parameters a
 * statement stays as it was (one round trip, and it may hold several
 * statements, which a prepared one may not).
 */
function preparedArgs(args: unknown[]): unknown[] {
  const [query, params, options] = args as [string, unknown[] | undefined, Record<string, unknown> | undefined];
  if (!Array.isArray(params) || params.length === 0 || params.length > PREPARED_MAX_PARAMETERS) {
    return args;
  }
  return [query, params, { ...options, prepare: true }, ...args.slice(3)];
}

/**
 * The client drizzle is given: queries go to `main`, or to `heavy` inside
 * a heavy scope, and those of a heavy scope are remembered to be cancelled.
 * drizzle issues every statement through `unsafe` (transactions through
 * `begin`, savepoints through `savepoint`), and awaits each at once, so the
 * query objects it never sees are still cancellable here: postgres.js
 * cancels a running query over a connection of its own, and takes a queued
 * one off its queue.
 */
function routed(main: postgres.Sql, heavy: postgres.Sql | null, guard: Guard, deadlineMs: number | undefined): postgres.Sql {
  return new Proxy(main, {
    get(target, property, receiver) {
      if (property === 'unsafe' || property === 'begin' || property === 'savepoint') {
        return (...args: unknown[]) => {
          const scope = heavyScope.getStore();
          const sql: Sql = scope && heavy ? heavy : target;
          if (property === 'unsafe') {
            if (scope?.signal.aborted) {
              // Thrown, not a query cancelled before it starts: postgres.js would count its connection busy.
              throw cancelled();
            }
            guard.check();
            const query = guard.watch((sql.unsafe as unknown as Unsafe)(...preparedArgs(args)), deadlineMs);
            scope?.queries.add(query);
            return query;
          }
          // The transaction's own client, wrapped so its statements are remembered and watched too.
          const body = args.pop() as (tx: postgres.TransactionSql) => unknown;
          const method = (sql as unknown as Record<string, Begin>)[property as string]!;
          const inner = (tx: postgres.TransactionSql) => body(routed(tx as unknown as postgres.Sql, null, guard, deadlineMs) as unknown as postgres.TransactionSql);
          if (property === 'savepoint') {
            return method(...args, inner);
          }
          try {
            guard.check();
          } catch (error) {
            return Promise.reject(error as Error);
          }
          return guard.transaction((fn) => method(...args, fn), inner, deadlineMs);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/**
 * Whether an error says the database is away or could not answer in time,
 * not that the request was wrong: the request may succeed if tried again
 * (503 with Retry-After). 'timeout' for a statement cut by the statement
 * timeout or cancelled; 'unavailable' for refused, dropped or timed-out
 * connections and a server shutting down or out of resources.
 */
export function databaseTrouble(error: unknown): 'timeout' | 'unavailable' | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) {
      continue;
    }
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (code === '57014') {
        return 'timeout';
      }
      if (
        // connection_exception, insufficient_resources (too many connections, out of memory, disk full),
        // admin_shutdown, crash_shutdown, cannot_connect_now.
        /^(08...|53...|57P0[123])$/.test(code) ||
        // ALTER DATABASE … ALLOW_CONNECTIONS false: SQLSTATE 55000, which is also used for mistakes of ours.
        (code === '55000' && /not currently accepting connections/i.test(String((e as Error).message))) ||
        // postgres.js's own, and the socket's.
        ['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT'].includes(code) ||
        // Guard's own: a query with no answer by its deadline, and connections refused moments ago.
        code === 'QUERY_DEADLINE' ||
        code === 'DATABASE_DOWN' ||
        ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)
      ) {
        return 'unavailable';
      }
    }
    // drizzle wraps the driver's error in `cause`; a refused dual-stack connect is an AggregateError.
    queue.push((e as { cause?: unknown }).cause, ...((e as { errors?: unknown }).errors instanceof Array ? (e as { errors: unknown[] }).errors : []));
  }
  return undefined;
}

/** The SQLSTATE of a database error, looking through drizzle's wrapper. */
export function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return code;
    }
  }
  return undefined;
}

/** Rows of a raw `db.execute`: postgres.js returns an array, PGlite `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}


/** Ids as one uuid[] parameter (ids are validated UUIDs: the route schemas check them). */
export function uuidArray(ids: string[]): SQL {
  return sql`${`{${ids.join(',')}}`}::uuid[]`;
}

