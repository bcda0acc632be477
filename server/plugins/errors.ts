import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem, fieldErrors, invalid, problem } from '../http/problem';

const PARTS: Record<string, string> = {
  body: 'request body',
  querystring: 'query string',
  params: 'URL',
  headers: 'request headers',
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
 * Every error leaves as application/problem+json (RFC 9457). Client mistakes
 * get a 4xx that says what and where; anything else is logged with the
 * request's context and answered with a 500 that leaks nothing.
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
