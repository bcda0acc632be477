import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import Type, { type Static } from 'typebox';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { problem } from '../http/problem';
import { originOf } from './security';

/** What the web app's first screen needs before any request of its own: the body of /api/config (health.ts), also written into the page. */
export const ClientConfig = Type.Object({
  tileUrl: Type.String(),
  tileAttribution: Type.String(),
  defaultCenter: Type.Object({ lat: Type.Number(), lng: Type.Number(), zoom: Type.Integer() }),
});
export type PageConfig = Static<typeof ClientConfig>;

const attribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * The app's index.html with the map's settings in it (a JSON script
 * element, which no policy treats as a script: it is never run) and a
 * preconnect to the tile server, whose name a template with placeholders in
 * its host does not give. A phone on a slow network then asks for the
 * first screen's tiles as its script starts, without a round trip for
 * /api/config and with the tile server's connection already open.
 */
export function pageWithConfig(html: string, config: PageConfig): string {
  const origin = originOf(config.tileUrl);
  const preconnect = origin && !/[{}]/.test(origin) ? `<link rel="preconnect" href="${attribute(origin)}" crossorigin>` : '';
  // `<` escaped, so no value can end the element early.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  const tags = `${preconnect}<script type="application/json" id="aidmap-config">${json}</script>`;
  // Before the head's end; a page with no head written out (the parser opens one) gets them first.
  return html.includes('</head>') ? html.replace('</head>', `${tags}</head>`) : html.replace(/^(<!doctype html>)?/i, (doctype) => doctype + tags);
}

/**
 * The built web app at `/`, and the answer for paths nobody serves: a
 * problem for the API, the app's page for anything else a browser asks for
 * (the app routes on the client).
 */
export default fp(
  async function web(app: FastifyInstance, opts: { root: string; config: PageConfig }) {
    const index = join(opts.root, 'index.html');
    const built = existsSync(index);
    // Read once: a release restarts the server.
    const page = built ? pageWithConfig(readFileSync(index, 'utf8'), opts.config) : '';
    const etag = `"${createHash('sha256').update(page).digest('base64url').slice(0, 27)}"`;
    const sendPage = (request: FastifyRequest, reply: FastifyReply) => {
      // Asked for again each time (no-cache), so a release shows at once; unchanged, it costs a 304.
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').header('etag', etag);
      const held = (request.headers['if-none-match'] ?? '').split(',').map((tag) => tag.trim().replace(/^W\//, ''));
      return held.includes(etag) ? reply.status(304).send() : reply.send(page);
    };
    if (built) {
      await app.register(fastifyStatic, {
        root: opts.root,
        prefix: '/',
        wildcard: false,
        index: false,
        // The page goes out with the settings in it (sendPage), never as the bare file.
        allowedPath: (path: string) => path !== '/index.html',
        cacheControl: false,
        // Hashed assets never change; the service worker must be asked for
        // again, or a release waits an hour behind the HTTP cache.
        setHeaders(res: { header(name: string, value: string): unknown }, path: string) {
          res.header('cache-control', /[/\\]assets[/\\]/.test(path) ? 'public, max-age=31536000, immutable' : /sw\.js$/.test(path) ? 'no-cache' : 'public, max-age=3600');
        },
      });
      app.get('/', { schema: { hide: true } }, sendPage);
    } else {
      app.log.warn({ root: opts.root }, 'web app not built; run `npm run build`');
    }
    app.setNotFoundHandler((request, reply) => {
      const isApi = request.url.startsWith('/api/') || request.url === '/api';
      if (!isApi && request.method === 'GET' && built) {
        return sendPage(request, reply);
      }
      return reply
        .status(404)
        .type('application/problem+json; charset=utf-8')
        .send(problem(404, `Nothing here: ${request.method} ${request.url.split('?')[0]}`));
    });
  },
  { name: 'web' },
);
