// `npm run db:migrate`: bring the configured database up to date and exit.
// The server also migrates on start; this is for deploys that migrate first.
import { loadConfig } from './config';
import { openDatabase } from '../db';

const config = loadConfig();
const database = await openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
await database.close();
console.log(`migrated (${database.driver})`);
