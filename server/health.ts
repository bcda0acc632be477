import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

const Health = Type.Object({ status: Type.String(), db: Type.String() });

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    { schema: { tags: ['operations'], summary: 'Liveness with a database check', response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      try {
        await app.database.ping();
        return { status: 'ok', db: 'ok' };
      } catch (err) {
        app.log.error({ err }, 'health check: database unreachable');
        return reply.status(503).send({ status: 'error', db: 'unreachable' });
      }
    },
  );
};

export default healthRoutes;
