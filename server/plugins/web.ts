import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { problem } from '../http/problem';

/**
 * The built web app at `/`, and the answer for paths nobody serves: a
 * problem for the API, the app's index.html for anything else a browser asks
 * for (the app routes on the client).
 */
export default fp(
  async function web(app: FastifyInstance, opts: { root: string }) {
    const built = existsSync(join(opts.root, 'index.html'));
    if (built) {
      await app.register(fastifyStatic, {
        root: opts.root,
        prefix: '/',
        wildcard: false,
        cacheControl: false,
        // Hashed assets never change; the page and the service worker must be
        // asked for again, or a release waits an hour behind the HTTP cache.
        setHeaders(res: { header(name: string, value: string): unknown }, path: string) {
          res.header('cache-control', /[/\\]assets[/\\]/.test(path) ? 'public, max-age=31536000, immutable' : /(index\.html|sw\.js)$/.test(path) ? 'no-cache' : 'public, max-age=3600');
        },
      });
    } else {
      app.log.warn({ root: opts.root }, 'web app not built; run `npm run build`');
    }
    app.setNotFoundHandler((request, reply) => {
      const isApi = request.url.startsWith('/api/') || request.url === '/api';
      if (!isApi && request.method === 'GET' && built) {
        return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').sendFile('index.html');
      }
      return reply
        .status(404)
        .type('application/problem+json; charset=utf-8')
        .send(problem(404, `Nothing here: ${request.method} ${request.url.split('?')[0]}`));
    });
  },
  { name: 'web' },
);
