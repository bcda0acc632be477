// `npm run admin -- <command>`: the platform moderator role, granted and
// revoked here only (never over HTTP, so no account can promote itself).
// Opens the database as the server does: DATABASE_URL, else the embedded one
// in DATA_DIR (which a running server holds: stop it first, or use PostgreSQL).
//
//   grant-moderator EMAIL    revoke-moderator EMAIL    list-moderators
import { pathToFileURL } from 'node:url';
import { type DB, openDatabase } from '../../db';
import { loadConfig } from '../config';
import { grantModerator, listModerators, revokeModerator, UnknownAccount } from './service';

const USAGE = `usage: npm run admin -- grant-moderator EMAIL | revoke-moderator EMAIL | list-moderators`;

export interface CliResult {
  code: number;
  out: string[];
  err: string[];
}

/** Runs one command against an open database; what it prints and its exit code. */
export async function runAdmin(db: DB, args: string[], now = new Date()): Promise<CliResult> {
  const [command, email, ...rest] = args;
  const result: CliResult = { code: 0, out: [], err: [] };
  const needsEmail = command === 'grant-moderator' || command === 'revoke-moderator';
  if (!command || (needsEmail && (!email || rest.length > 0)) || (!needsEmail && command !== 'list-moderators') || (command === 'list-moderators' && email !== undefined)) {
    return { code: 2, out: [], err: [USAGE] };
  }
  try {
    if (command === 'grant-moderator') {
      const changed = await grantModerator(db, email!, now);
      result.out.push(changed ? `${email!.trim()} is now a platform moderator.` : `${email!.trim()} was a platform moderator already.`);
    } else if (command === 'revoke-moderator') {
      const changed = await revokeModerator(db, email!, now);
      result.out.push(changed ? `${email!.trim()} is no longer a platform moderator.` : `${email!.trim()} was not a platform moderator.`);
    } else {
      const moderators = await listModerators(db);
      result.out.push(...(moderators.length === 0 ? ['No platform moderators.'] : moderators.map((m) => `${m.email}\t${m.displayName}\tsince ${m.since.toISOString()}`)));
    }
  } catch (error) {
    if (error instanceof UnknownAccount) {
      return { code: 1, out: [], err: [error.message] };
    }
    throw error;
  }
  return result;
}

async function main(): Promise<void> {
  let database;
  try {
    const config = loadConfig();
    database = await openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
  } catch (error) {
    console.error(`Aidmap cannot open its database: ${(error as Error).message}`);
    process.exit(1);
  }
  try {
    const { code, out, err } = await runAdmin(database.db, process.argv.slice(2));
    for (const line of out) {
      console.log(line);
    }
    for (const line of err) {
      console.error(line);
    }
    process.exitCode = code;
  } finally {
    await database.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
