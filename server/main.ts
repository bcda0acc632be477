// Entry point: config → database → app → listen; closes gracefully on SIGTERM/SIGINT.
import closeWithGrace from 'close-with-grace';
import { openDatabase } from '../db';
import { buildApp } from './app';
import { loadConfig } from './config';
import { logStreamFor } from './http/log';
import { databaseBudget } from './plugins/budget';

const started = performance.now();
let config: ReturnType<typeof loadConfig>;
let database: Awaited<ReturnType<typeof openDatabase>>;
try {
  config = loadConfig();
  database = await openDatabase({ ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir }), ...databaseBudget(config) });
} catch (error) {
  // Configuration and database problems are the operator's to fix: say what, without a stack.
  console.error(`Aidmap cannot start: ${(error as Error).message}`);
  process.exit(1);
}
const logStream = logStreamFor(config.logFormat, process.stdout.isTTY === true);
const app = await buildApp({ config, database, ...(logStream ? { logStream } : {}) });

if (process.argv.includes('--demo')) {
  const { seedDemo } = await import('./demo/seed');
  const summary = await seedDemo(database.db);
  app.log.info(summary, 'demo neighborhood ready');
}

// Stop accepting, let in-flight requests finish, then close the database (an onClose hook).
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) {
    app.log.error({ err }, 'closing after an error');
  } else {
    app.log.info({ signal }, 'closing');
  }
  await app.close();
});

await app.listen({ port: config.port, host: config.host });
app.log.info(
  { driver: database.driver, startupMs: Math.round(performance.now() - started) },
  `Aidmap is ready at http://localhost:${config.port}`,
);
