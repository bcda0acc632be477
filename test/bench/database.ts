// The database a benchmark fills: created on the local server when missing.
import { type Logger } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { type DB, schema } from '../../db';

/** Creates the database `databaseUrl` names when its server does not have it yet; says so through `log`. */
export async function ensureDatabase(databaseUrl: string, script: string, log: (s: string) => void = () => {}): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin<{ exists: boolean }[]>`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${name}) AS exists`;
    if (!row!.exists) {
      await admin.unsafe(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      log(`created database ${name}`);
    }
  } catch (error) {
    throw new Error(
      `${script} could not reach or create ${databaseUrl} (${(error as Error).message}). ` +
        'It needs a PostgreSQL 15+ server with PostGIS; set DATABASE_URL to a database it may fill.',
      { cause: error },
    );
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** A drizzle database on its own connection that records the SQL it sends. */
export function recordingDb(databaseUrl: string): { db: DB; queries: { sql: string; params: unknown[] }[]; close: () => Promise<void> } {
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {}, connection: { jit: 'off' } });
  const queries: { sql: string; params: unknown[] }[] = [];
  const logger: Logger = { logQuery: (q, params) => void queries.push({ sql: q, params }) };
  const db = drizzle(client, { schema, casing: 'snake_case', logger }) as unknown as DB;
  return { db, queries, close: () => client.end({ timeout: 5 }) };
}
