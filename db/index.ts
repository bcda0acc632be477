import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { intarray } from '@electric-sql/pglite/contrib/intarray';
import { postgis } from '@electric-sql/pglite-postgis';
import { eq } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
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
  close(): Promise<void>;
}

export type OpenOptions =
  | { databaseUrl: string; max?: number }
  | { dataDir: string }
  /** An embedded database someone else opened (tests load one from a migrated template). */
  | { pglite: PGlite };

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
    await migrateServer(options.databaseUrl);
    // jit off: the app's queries are short index scans, and at a million posts the
    // planner's cost estimates pass jit_above_cost, where compiling takes longer
    // than the query (test/bench/README.md measured 541 ms with JIT, 249 ms without).
    const client = postgres(options.databaseUrl, { max: options.max ?? 10, onnotice: () => {}, connection: { jit: 'off' } });
    const db = drizzlePostgres(client, { schema, casing }) as unknown as DB;
    const tailClient = postgres(options.databaseUrl, { max: 1, onnotice: () => {}, connection: { jit: 'off' } });
    const tail = drizzlePostgres(tailClient, { schema, casing }) as unknown as DB;
    return {
      db,
      tail,
      driver: 'postgres',
      ping: async () => {
        await client`select 1`;
      },
      // postgres.js listens on a connection of its own and re-listens after a reconnect.
      listen: async (channel, onNotify) => {
        const { unlisten } = await client.listen(channel, (payload) => onNotify(payload));
        return unlisten;
      },
      close: async () => {
        await Promise.all([client.end({ timeout: 5 }), tailClient.end({ timeout: 5 })]);
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
async function migrateServer(databaseUrl: string): Promise<void> {
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {} });
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

