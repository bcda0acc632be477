import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Database, DB } from '../../db';
import type { Clock } from '../clock';

declare module 'fastify' {
  interface FastifyInstance {
    db: DB;
    database: Database;
    clock: Clock;
  }
}

/** Shares the opened database and the clock; the database closes with the app. */
export default fp(
  async function database(app: FastifyInstance, opts: { database: Database; clock: Clock }) {
    app.decorate('database', opts.database);
    app.decorate('db', opts.database.db);
    app.decorate('clock', opts.clock);
    app.addHook('onClose', async () => {
      await opts.database.close();
    });
  },
  { name: 'database' },
);
