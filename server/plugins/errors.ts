import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { databaseTrouble } from '../../db';
import { HttpProblem, fieldErrors, invalid, problem } from '../http/problem';

const PARTS: Record<string, string> = {
  body: 'request body',
  querystring: 'query string',
  params: 'URL',
  headers: 'request header',
};

/** Fastify's own 4xx errors, said so a person can act on them. */
function frameworkMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large; the limit is 64 KB.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Send the body as JSON with the header Content-Type: application/json.';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'The Content-Length header does not match the body.';
    default:
      return error.message;
  }
}

/**
 * When a request that met database trouble may be tried again: a few
 * seconds covers a restart or a failover, and the pool reconnects within a
 * second of the database answering (db/index.ts, reconnectBackoff).
 */
export const DATABASE_RETRY_AFTER_S = 5;

/**
 * Every error leaves as application/problem+json (RFC 9457). Client mistakes
 * get a 4xx that says what and where; a database that is away or a
 * statement over its time budget a 503 with Retry-After (the same request
 * may succeed later; a write cut short was rolled back, unless the
 * connection died during its COMMIT — what Idempotency-Key is for);
 * anything else is logged with the request's context and answered with a
 * 500 that leaks nothing.
 */
export default fp(
  async function errors(app: FastifyInstance) {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      let body;
      if (error instanceof HttpProblem) {
        body = error.toProblem();
        if (error.retryAfterS !== undefined) {
          void reply.header('retry-after', String(error.retryAfterS));
        }
      } else if (error.validation) {
        const part = PARTS[error.validationContext ?? 'body'] ?? 'request';
        body = invalid(fieldErrors(error.validation as never), part).toProblem();
      } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
        body = problem(error.statusCode, frameworkMessage(error));
      } else if (databaseTrouble(error) !== undefined) {
        const timeout = databaseTrouble(error) === 'timeout';
        // Warn, not error: it is the database's state, said once per request; the cause is in `err`.
        request.log.warn({ err: error }, timeout ? 'database statement cut by its time budget' : 'database unavailable');
        void reply.header('retry-after', String(DATABASE_RETRY_AFTER_S));
        body = problem(
          503,
          timeout
            ? 'The database took too long to answer this request; please try again in a few seconds.'
            : 'The database is not answering right now; please try again in a few seconds.',
        );
      } else {
        request.log.error({ err: error }, 'request failed');
        body = problem(500, 'Something went wrong on our side. Please try again in a moment.');
      }
      if (body.status < 500) {
        request.log.info({ status: body.status, detail: body.detail }, 'client error');
      }
      return reply.status(body.status).type('application/problem+json; charset=utf-8').send(body);
    });
  },
  { name: 'errors' },
);
