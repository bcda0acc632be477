// What a browser is told about our answers (CSP, framing, referrers, HSTS,
// caching), and which browser requests may change anything: only those from
// our own pages, carrying JSON. SameSite=Lax cookies alone leave top-level
// cross-site POSTs and same-site subdomains open; these checks close them.
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { IncomingMessage } from 'node:http';
import { HttpProblem, forbidden } from '../http/problem';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Whether a browser request came from one of our own pages: no Origin
     * header (not a browser's cross-site request), or an origin we serve.
     */
    trustedOrigin(request: FastifyRequest): boolean;
  }
  interface FastifyContextConfig {
    /**
     * A write that needs no session and is authorized by a token in its URL
     * alone (RFC 8058's one-click unsubscribe, which a mail provider posts as
     * a form from its own servers): exempt from the Origin and JSON checks,
     * which protect cookie-authorized writes.
     */
    tokenAuthorized?: boolean;
  }
}

export interface SecurityOptions {
  /** The map's tile URL template (TILE_URL): its origin may serve images. */
  tileUrl: string;
  /** PUBLIC_URL: where people reach Aidmap. */
  publicUrl: string;
  /** ALLOWED_ORIGINS: other origins whose pages may write (a second domain, a staging front end). */
  allowedOrigins: readonly string[];
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The CSP source for a tile URL template's server. `{s}` stands for a
 * subdomain letter (a.tile…, b.tile…): a leading wildcard label. A template
 * with other placeholders in its host cannot be named exactly, so its scheme
 * stands for it. A relative template is our own origin ('self').
 */
export function tileSource(tileUrl: string): string | null {
  const match = /^(https?):\/\/([^/?#]+)/i.exec(tileUrl);
  if (!match) {
    return null;
  }
  const [, scheme, host] = match as unknown as [string, string, string];
  const wildcard = host.replace(/^\{s\}\./, '*.');
  return /[{}]/.test(wildcard) ? `${scheme.toLowerCase()}:` : `${scheme.toLowerCase()}://${wildcard.toLowerCase()}`;
}

/** A Host header as a browser sends it (a name or an IP, and a port); anything else is not echoed into a header. */
const PLAIN_HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** `scheme://host[:port]` in canonical form (default ports dropped), or null. */
export function originOf(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * Our pages' policy. Scripts and styles come only from our own files (Vite
 * builds them to /assets; nothing inline): Leaflet and Svelte set styles
 * through the CSSOM (`element.style.transform = …`), which CSP does not
 * govern, so neither 'unsafe-inline' nor style-src-attr is needed (checked in
 * Chromium: the map, markers, sheets and community outline raise no
 * violation). Tiles are images from TILE_URL's origin; `data:` for the few
 * images Vite inlines. The live socket is ws:/wss: of the page's own host:
 * CSP 3 lets 'self' match them, but older Safari does not.
 */
function appDirectives(tiles: string | null, publicUrl: string) {
  const publicWs = publicUrl.replace(/^http/, 'ws');
  return {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:', ...(tiles ? [tiles] : [])],
    'font-src': ["'self'"],
    'connect-src': [
      "'self'",
      publicWs,
      (req: IncomingMessage) => {
        const host = req.headers.host;
        return host && PLAIN_HOST.test(host) ? `ws://${host} wss://${host}` : '';
      },
    ],
    'worker-src': ["'self'"],
    'manifest-src': ["'self'"],
    'object-src': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
}

/**
 * /api/docs (swagger-ui, a React app of its own): its styles are partly
 * inline and its icons data: SVGs. Only those pages get this.
 */
const DOCS_DIRECTIVES = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** RFC 6797: a year, sent only on answers that came over HTTPS (a browser ignores it over HTTP anyway, and a LAN address over HTTP must keep working). */
const HSTS = 'max-age=31536000; includeSubDomains';

export default fp(
  async function security(app: FastifyInstance, opts: SecurityOptions) {
    await app.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives: appDirectives(tileSource(opts.tileUrl), opts.publicUrl) },
      // Added below, only over HTTPS.
      strictTransportSecurity: false,
      // Cross-origin requests (tiles) carry our origin only, never the
      // page's path and query, which hold the map's view (a place). Not
      // no-referrer: OpenStreetMap's tile policy asks for a Referer.
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
      xFrameOptions: { action: 'deny' },
      // Tile servers send no Cross-Origin-Resource-Policy; requiring it would blank the map.
      crossOriginEmbedderPolicy: false,
    });

    // swagger-ui's routes get its own policy; helmet reads it from the route's config.
    app.addHook('onRoute', (route) => {
      if (route.url === '/api/docs' || route.url.startsWith('/api/docs/')) {
        route.config = { ...route.config, helmet: { contentSecurityPolicy: { useDefaults: false, directives: DOCS_DIRECTIVES } } } as typeof route.config;
      }
    });

    const trusted = new Set([originOf(opts.publicUrl), ...opts.allowedOrigins.map(originOf)].filter((o): o is string => o !== null));
    app.decorate('trustedOrigin', (request: FastifyRequest) => {
      const origin = request.headers.origin;
      if (origin === undefined) {
        // Browsers send Origin on every cross-site POST and on every WebSocket
        // handshake; a request without one is a script, curl or a test, which
        // carries no victim's cookie by accident.
        return true;
      }
      const canonical = originOf(origin);
      if (canonical === null) {
        // "null": a sandboxed frame, a data: page, a privacy redirect. Never ours.
        return false;
      }
      if (trusted.has(canonical)) {
        return true;
      }
      // Our own origin as this request reached us: scheme and Host (with
      // TRUST_PROXY, X-Forwarded-Proto/-Host from our proxy). An attacker's
      // page cannot choose the Host its victim's browser sends (a forbidden
      // header; the browser writes the address it connects to), so a
      // cross-site request's Origin never equals it. A DNS-rebound name can
      // match, but the victim's cookies belong to our name, not to it, so
      // such a request acts as nobody.
      return canonical === originOf(`${request.protocol}://${request.host}`);
    });

    app.addHook('onRequest', async (request, reply) => {
      if (request.protocol === 'https') {
        void reply.header('strict-transport-security', HSTS);
      }
      if (!WRITES.has(request.method) || request.routeOptions.config?.tokenAuthorized === true) {
        return;
      }
      if (!app.trustedOrigin(request)) {
        throw forbidden('This request came from a page on another site. Use Aidmap from its own address.', 'origin');
      }
      // Only JSON changes anything. An HTML form (or a no-cors fetch) can
      // send text/plain, form or multipart bodies cross-site without asking
      // first; a JSON body needs a CORS preflight we never grant. A write
      // without a body and without a Content-Type (accept, cancel, sign out)
      // is what our own web app sends; a form always sends a type.
      const type = request.headers['content-type'];
      const hasBody = (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0') || request.headers['transfer-encoding'] !== undefined;
      if ((type !== undefined || hasBody) && !isJson(type)) {
        throw new HttpProblem(415, 'Send the body as JSON with the header Content-Type: application/json (or send no body and no Content-Type).');
      }
    });

    // Answers that depend on who asks must not be kept by a browser or a
    // shared cache (a phone passed on, a proxy at a shelter): every API
    // answer is no-store unless its route chose a caching of its own
    // (/api/config, the calendar feed).
    app.addHook('onSend', async (request, reply) => {
      if ((request.url === '/api' || request.url.startsWith('/api/')) && !reply.hasHeader('cache-control')) {
        void reply.header('cache-control', 'no-store');
      }
    });
  },
  { name: 'security', dependencies: ['errors'] },
);

function isJson(type: string | undefined): boolean {
  return type !== undefined && type.split(';')[0]!.trim().toLowerCase() === 'application/json';
}
