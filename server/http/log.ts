import pretty from 'pino-pretty';
import { sqlState } from '../../db';

/**
 * How errors appear in the log. drizzle wraps a failed query in an error
 * whose message carries the SQL and every bound parameter — exact points,
 * e-mail addresses, password hashes — so for those only PostgreSQL's own
 * message and SQLSTATE are kept. The stack keeps its frames, not its first
 * line (which repeats the message).
 */
export function serializeError(error: Error): { type: string; message: string; stack: string; [key: string]: unknown } {
  if (!(error instanceof Error)) {
    return { type: typeof error, message: 'a non-Error was thrown', stack: '' };
  }
  const isQuery = 'query' in error && 'params' in error;
  const cause = error.cause instanceof Error ? error.cause : undefined;
  return {
    type: error.name,
    message: isQuery ? `database query failed: ${cause?.message ?? 'unknown cause'}` : error.message,
    code: sqlState(error) ?? (error as { code?: unknown }).code,
    stack: (error.stack ?? '')
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .join('\n'),
  };
}

/** Query parameters that may hold a person's exact place (a draft post's point, "communities here", an address searched for). */
const POINT_PARAMS = new Set(['lat', 'lng', 'q']);

/**
 * A URL as logged: private calendar addresses carry their credential in the
 * path, and some queries carry an exact point (GET /api/posts/similar?lat=&lng=,
 * GET /api/communities?lat=&lng=) or an address (GET /api/places/search?q=): all masked. A map's box is kept to two
 * decimals (about a kilometre), enough to read a log, too coarse to place anyone.
 */
export function maskUrl(url: string): string {
  const masked = url.replace(/(\/api\/calendar\/)[^/?#]+/, '$1…');
  const q = masked.indexOf('?');
  if (q < 0) {
    return masked;
  }
  const params = masked
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = safeDecode(eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
      if (POINT_PARAMS.has(name)) {
        return `${pair.slice(0, eq < 0 ? pair.length : eq)}=…`;
      }
      if (name === 'bbox' && eq >= 0) {
        const coarse = safeDecode(pair.slice(eq + 1))
          .split(',')
          .map((n) => (Number.isFinite(Number(n)) && n.trim() !== '' ? Number(n).toFixed(2) : '…'));
        return `${pair.slice(0, eq)}=${coarse.join(',')}`;
      }
      return pair;
    });
  return `${masked.slice(0, q)}?${params.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Fastify's request log fields, with the URL masked. */
export function serializeRequest(request: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) {
  return { method: request.method, url: maskUrl(request.url), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort };
}

/**
 * Where the server's log lines go: pino's JSON lines on stdout (undefined:
 * the default), or, for a person at a terminal, one readable line per
 * event (pino-pretty). The serializers above run first either way, so
 * points are masked in both.
 */
export function logStreamFor(format: 'auto' | 'json' | 'pretty', terminal: boolean, destination?: NodeJS.WritableStream): NodeJS.WritableStream | undefined {
  if (format === 'json' || (format === 'auto' && !terminal)) {
    return undefined;
  }
  return pretty({
    colorize: terminal,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
    singleLine: true,
    ...(destination ? { destination, sync: true } : {}),
  });
}
