import type { ErrorObject } from 'ajv';
import { STATUS_CODES } from 'node:http';

import { type FieldError, type Problem } from '../contract/problem';

/** Thrown by routes and services; the error handler turns it into problem+json. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  /** Sent as Retry-After (429, 503): when trying again may succeed. */
  retryAfterS: number | undefined;
  constructor(status: number, detail: string, errors?: FieldError[]) {
    super(detail);
    this.status = status;
    this.errors = errors;
  }
  toProblem(): Problem {
    return problem(this.status, this.message, this.errors);
  }
}

export function problem(status: number, detail: string, errors?: FieldError[]): Problem {
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export const badRequest = (detail: string, errors?: FieldError[]) => new HttpProblem(400, detail, errors);
export const unauthorized = (detail = 'Sign in first.') => new HttpProblem(401, detail);
export const forbidden = (detail: string) => new HttpProblem(403, detail);
export const notFound = (detail: string) => new HttpProblem(404, detail);
export const conflict = (detail: string, errors?: FieldError[]) => new HttpProblem(409, detail, errors);

/** A field error against a request part; the detail lists them all. */
export function invalid(errors: FieldError[], part = 'request body'): HttpProblem {
  const list = errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ');
  return badRequest(`The ${part} is not valid — ${list}`, errors);
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
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'required':
        path += `/${escapePointer(String(p.missingProperty))}`;
        message = 'is required';
        break;
      case 'additionalProperties':
        path += `/${escapePointer(String(p.additionalProperty))}`;
        message = 'is not a known field';
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
        break;
      case 'minLength':
        message = Number(p.limit) === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters`;
        break;
      case 'maxLength':
        message = `must be at most ${String(p.limit)} characters`;
        break;
      case 'minItems':
        message = `must have at least ${String(p.limit)} item${Number(p.limit) === 1 ? '' : 's'}`;
        break;
      case 'maxItems':
        message = `must have at most ${String(p.limit)} items`;
        break;
      case 'uniqueItems':
        message = 'must not repeat an item';
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
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
        break;
      case 'minProperties':
        message = 'must not be empty';
        break;
      default:
        message = e.message ?? 'is not valid';
    }
    const key = `${path}\u0000${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ path, message });
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
