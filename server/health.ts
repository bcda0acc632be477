import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Config } from './config';

const Health = Type.Object({ status: Type.String(), db: Type.String() });

const ClientConfig = Type.Object({
  tileUrl: Type.String(),
  tileAttribution: Type.String(),
  defaultCenter: Type.Object({ lat: Type.Number(), lng: Type.Number(), zoom: Type.Integer() }),
});

const healthRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.get(
    '/config',
    { schema: { tags: ['operations'], summary: 'What the web app needs to know: the tile server and where the map opens', response: { 200: ClientConfig } } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return { tileUrl: config.tileUrl, tileAttribution: config.tileAttribution, defaultCenter: config.defaultCenter };
    },
  );

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
