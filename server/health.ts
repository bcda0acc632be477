import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Config } from './config';
import { ClientConfig, type PageConfig } from './plugins/web';

const Health = Type.Object({ status: Type.String(), db: Type.String() });

/** What the web app needs to know (/api/config, and written into its page: plugins/web.ts). */
export function clientConfigOf(config: Config): PageConfig {
  return { tileUrl: config.tileUrl, tileAttribution: config.tileAttribution, defaultCenter: config.defaultCenter };
}

/**
 * The longest /api/health waits for the database: load balancers and
 * orchestrators give up at about 2 s and would count a slow answer as no
 * answer, so it says "unavailable" itself before then.
 */
export const HEALTH_PING_WAIT_MS = 1500;

const healthRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  // One ping at a time: checks arriving while the database is slow share it
  // rather than queueing more queries on a pool that is already waiting.
  let pinging: Promise<void> | null = null;
  async function ping(): Promise<'ok' | 'unreachable' | 'slow'> {
    pinging ??= app.database.ping().finally(() => (pinging = null));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), HEALTH_PING_WAIT_MS)));
    try {
      return await Promise.race([pinging.then(() => 'ok' as const), late]);
    } catch (err) {
      app.log.error({ err }, 'health check: database unreachable');
      return 'unreachable';
    } finally {
      clearTimeout(timer);
    }
  }

  app.get(
    '/config',
    { schema: { tags: ['operations'], summary: 'What the web app needs to know: the tile server and where the map opens', response: { 200: ClientConfig } } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return clientConfigOf(config);
    },
  );

  app.get(
    '/health',
    {
      schema: {
        tags: ['operations'],
        summary: `Liveness with a database check; within ${HEALTH_PING_WAIT_MS / 1000} s, 503 with db "unreachable" (it failed) or "slow" (no answer yet)`,
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const db = await ping();
      if (db === 'ok') {
        return { status: 'ok', db };
      }
      if (db === 'slow') {
        app.log.warn({ waitedMs: HEALTH_PING_WAIT_MS }, 'health check: database did not answer in time');
      }
      return reply.status(503).send({ status: 'error', db });
    },
  );
};

export default healthRoutes;
