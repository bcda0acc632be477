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

/** Private calendar addresses carry their credential in the path: logged masked. */
export function maskUrl(url: string): string {
  return url.replace(/(\/api\/calendar\/)[^/?#]+/, '$1…');
}

/** Fastify's request log fields, with the URL masked. */
export function serializeRequest(request: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) {
  return { method: request.method, url: maskUrl(request.url), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort };
}
