import type { ErrorObject } from 'ajv';
import { STATUS_CODES } from 'node:http';

import { type FieldError, type Problem } from '../contract/problem';

/**
 * A problem's code when nothing more precise was given: one per status, so
 * every problem carries one (server/contract/problem.ts).
 */
const CODE_OF_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  410: 'gone',
  413: 'too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
  500: 'internal',
  503: 'unavailable',
};

export function statusCode(status: number): string {
  return CODE_OF_STATUS[status] ?? `http_${status}`;
}

/** Thrown by routes and services; the error handler turns it into problem+json. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  /** The stable machine code (default: the status's, statusCode()). */
  readonly code: string;
  /** Sent as Retry-After (429, 503): when trying again may succeed. */
  retryAfterS: number | undefined;
  constructor(status: number, detail: string, errors?: FieldError[], code?: string) {
    super(detail);
    this.status = status;
    this.errors = errors;
    this.code = code ?? statusCode(status);
  }
  toProblem(): Problem {
    return problem(this.status, this.message, this.errors, this.code);
  }
}

export function problem(status: number, detail: string, errors?: FieldError[], code: string = statusCode(status)): Problem {
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    // Every field error has a code on the wire too: `invalid` when its maker gave none.
    ...(errors && errors.length > 0 ? { errors: errors.map((e) => ({ ...e, code: e.code ?? 'invalid' })) } : {}),
  };
}

/** The second argument is the field errors, or the code when there are none. */
type ErrorsOrCode = FieldError[] | string | undefined;
const split = (x: ErrorsOrCode, code?: string): [FieldError[] | undefined, string | undefined] => (typeof x === 'string' ? [undefined, x] : [x, code]);

export const badRequest = (detail: string, errorsOrCode?: ErrorsOrCode, code?: string) => new HttpProblem(400, detail, ...split(errorsOrCode, code));
export const unauthorized = (detail = 'Sign in first.', code?: string) => new HttpProblem(401, detail, undefined, code);
export const forbidden = (detail: string, code?: string) => new HttpProblem(403, detail, undefined, code);
export const notFound = (detail: string, code?: string) => new HttpProblem(404, detail, undefined, code);
export const conflict = (detail: string, errorsOrCode?: ErrorsOrCode, code?: string) => new HttpProblem(409, detail, ...split(errorsOrCode, code));

/** A field error against a request part; the detail lists them all. Its code is `invalid`: each field error says what. */
export function invalid(errors: FieldError[], part = 'request body'): HttpProblem {
  const list = errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ');
  return new HttpProblem(400, `The ${part} is not valid — ${list}`, errors, 'invalid');
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Turns Ajv's errors into messages a person can act on. Values are never
 * echoed back: a location or an e-mail address stays out of responses and
 * logs (the exact point must not appear anywhere it is not entitled to).
 */
export function fieldErrors(errors: ErrorObject[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  // anyOf/oneOf report every branch's failures and then their own; the branch
  // errors say more, so the summary is dropped when a branch error exists.
  for (const e of errors) {
    let path = prefix + e.instancePath;
    let message: string;
    // The code is the keyword in snake case (a client's key for its own words); `limit` the number it names.
    let code = e.keyword.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    let limit: number | undefined;
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'required':
        path += `/${escapePointer(String(p.missingProperty))}`;
        message = 'is required';
        break;
      case 'additionalProperties':
        path += `/${escapePointer(String(p.additionalProperty))}`;
        message = 'is not a known field';
        code = 'unknown_field';
        break;
      case 'type':
        message = `must be ${article(String(p.type))}`;
        break;
      case 'enum':
        message = `must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
        break;
      case 'const':
        message = `must be ${JSON.stringify(p.allowedValue)}`;
        break;
      case 'format':
        message = formatMessage(String(p.format));
        code = `format.${String(p.format).replace(/-/g, '_')}`;
        break;
      case 'minLength':
        limit = Number(p.limit);
        message = limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters`;
        code = limit === 1 ? 'blank' : code;
        break;
      case 'maxLength':
        limit = Number(p.limit);
        message = `must be at most ${String(p.limit)} characters`;
        break;
      case 'minItems':
        limit = Number(p.limit);
        message = `must have at least ${String(p.limit)} item${Number(p.limit) === 1 ? '' : 's'}`;
        break;
      case 'maxItems':
        limit = Number(p.limit);
        message = `must have at most ${String(p.limit)} items`;
        break;
      case 'uniqueItems':
        message = 'must not repeat an item';
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        limit = Number(p.limit);
        message = `must be ${String(p.comparison)} ${String(p.limit)}`;
        break;
      case 'pattern':
        message = e.parentSchema && typeof e.parentSchema === 'object' && 'description' in e.parentSchema
          ? `must look like ${String((e.parentSchema as { description: unknown }).description)}`
          : 'is not in the expected form';
        break;
      case 'anyOf':
      case 'oneOf':
        message = 'does not match any allowed form';
        code = 'no_form';
        break;
      case 'minProperties':
        message = 'must not be empty';
        code = 'empty';
        break;
      default:
        message = e.message ?? 'is not valid';
        code = 'invalid';
    }
    const key = `${path}\u0000${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ path, message, code, ...(limit === undefined || !Number.isFinite(limit) ? {} : { limit }) });
    }
  }
  // "must be a string" and "must be a null" at one path (a nullable field) read better as one.
  for (let i = 0; i < out.length; i++) {
    const e = out[i]!;
    if (!e.message.startsWith('must be a')) {
      continue;
    }
    for (let j = out.length - 1; j > i; j--) {
      const other = out[j]!;
      if (other.path === e.path && other.message.startsWith('must be a')) {
        e.message += ` or ${other.message.replace(/^must be an? /, '')}`;
        out.splice(j, 1);
      }
    }
  }
  const branchPaths = out.filter((e) => e.message !== 'does not match any allowed form').map((e) => e.path);
  return out.filter(
    (e) => e.message !== 'does not match any allowed form' || !branchPaths.some((p) => p.startsWith(e.path)),
  );
}

function article(type: string): string {
  const t = type.replace(/,/g, ' or ');
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function formatMessage(format: string): string {
  switch (format) {
    case 'date-time':
      return 'must be a date and time with an offset, like 2026-12-03T09:30:00-05:00';
    case 'date':
      return 'must be a date like 2026-12-03';
    case 'uuid':
      return 'must be a UUID';
    case 'email':
      return 'must be an e-mail address';
    default:
      return `must be a valid ${format}`;
  }
}
