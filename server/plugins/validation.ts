import { Ajv, type Options } from 'ajv';
import ajvFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import sjson from 'secure-json-parse';
import { badRequest, invalid } from '../http/problem';
import { type FieldError } from '../contract/problem';
import { isOffsetDateTime } from '../contract/time';

// ajv-formats is CommonJS; under native ESM its function sits on `.default`.
const addFormats = ((ajvFormats as unknown as { default?: typeof ajvFormats }).default ?? ajvFormats);

const base: Options = {
  // Report every problem at once, so a form can mark all its fields.
  allErrors: true,
  // TypeBox 1.x schemas carry keywords Ajv does not know; they are harmless.
  strict: false,
  // Unknown fields are errors, not silently dropped: a misspelt `raduisM`
  // should be told, not ignored.
  removeAdditional: false,
};

function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  // ajv-formats takes "2026-12-03 09:30+05" too; windows must be what the
  // schedule code parses (RFC 3339 with a 'T' and a ±HH:MM or Z offset).
  ajv.addFormat('date-time', { type: 'string', validate: isOffsetDateTime });
  // ajv-formats' uuid takes a "urn:uuid:" prefix, which PostgreSQL's uuid type refuses (a 500): plain UUIDs only.
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return ajv;
}

/** Bodies are checked as sent: "5" is not a number. */
export const bodyAjv = withFormats(new Ajv({ ...base, coerceTypes: false, useDefaults: false }));
/** Query strings and path parameters arrive as text and are coerced. */
const urlAjv = withFormats(new Ajv({ ...base, coerceTypes: 'array', useDefaults: true }));

/**
 * How deep a body may nest. Our deepest is a community's MultiPolygon
 * boundary, 6 levels (body, boundary, coordinates, polygon, ring, point);
 * every recursive walk after parsing (unstorableText, Ajv, JSON.stringify
 * into jsonb) is safe far below where the stack would end (~9,000 levels).
 */
export const MAX_JSON_DEPTH = 32;

/**
 * The first place a parsed body nests deeper than `max` arrays and objects,
 * as a JSON pointer, found without recursion (so a 1,000,000-deep `[[[…]]]`
 * is measured, not a stack overflow).
 */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): FieldError | null {
  const stack: Array<[unknown, string, number]> = [[value, '', 0]];
  while (stack.length > 0) {
    const [node, path, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') {
      continue;
    }
    if (depth + 1 > max) {
      return { path, message: `nests too deeply: at most ${max} levels of arrays and objects`, code: 'too_deep', limit: max };
    }
    const entries = Array.isArray(node) ? node.map((v, i) => [String(i), v] as const) : Object.entries(node);
    // Pushed in reverse, so the first offending place in document order is found first.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, inner] = entries[i]!;
      if (inner !== null && typeof inner === 'object') {
        stack.push([inner, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1]);
      }
    }
  }
  return null;
}

/**
 * The first string (or key) in a parsed body that PostgreSQL cannot store as
 * given: NUL characters (text and jsonb refuse them) and lone UTF-16
 * surrogates (jsonb refuses them, text would turn them into U+FFFD).
 */
export function unstorableText(value: unknown, path = ''): FieldError | null {
  const bad = (s: string) => s.includes('\u0000') || !s.isWellFormed();
  if (typeof value === 'string') {
    return bad(value) ? { path, message: 'contains a character that cannot be stored (NUL or a broken surrogate pair)', code: 'unstorable' } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableText(value[i], `${path}/${i}`);
      if (found) {
        return found;
      }
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const keyPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (bad(key)) {
        return { path: keyPath, message: 'is a field name with a character that cannot be stored', code: 'unstorable' };
      }
      const found = unstorableText(inner, keyPath);
      if (found) {
        return found;
      }
    }
  }
  return null;
}

/**
 * JSON bodies through secure-json-parse, as Fastify's own parser does, but
 * with errors that tell a syntax error from a `__proto__`/`constructor` key
 * (Fastify reports both as "not valid JSON").
 */
function parseJson(_request: unknown, body: string, done: (err: Error | null, value?: unknown) => void): void {
  if (body.trim() === '') {
    done(badRequest('The request body is empty; send a JSON object.', 'body.empty'));
    return;
  }
  let value: unknown;
  try {
    value = sjson.parse(body, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    // JSON.parse's message quotes the body; it is not repeated back.
    done(
      badRequest(
        // secure-json-parse throws a SyntaxError too, saying "forbidden prototype property".
        /forbidden prototype property/.test((error as Error).message)
          ? 'The request body uses a forbidden key (__proto__ or constructor).'
          : 'The request body is not valid JSON.',
        'body.not_json',
      ),
    );
    return;
  }
  // Depth first: unstorableText recurses, and so does everything after it.
  const problem = tooDeep(value) ?? unstorableText(value);
  done(problem ? invalid([problem]) : null, value);
}

export default fp(
  async function validation(app: FastifyInstance) {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
      parseJson(request, body as string, done),
    );
    // `?kind=&category=` means no filter, as a form or a URL template sends it.
    app.addHook('preValidation', async (request) => {
      const query = request.query as Record<string, unknown> | undefined;
      if (query && typeof query === 'object') {
        for (const [key, value] of Object.entries(query)) {
          if (value === '') {
            delete query[key];
          }
        }
      }
      // Path parameters and the query string reach SQL as a body's text
      // does, so they are held to the same rule (an invite code with %00
      // in it was a 500: PostgreSQL refuses NUL in text).
      const inParams = unstorableText(request.params);
      if (inParams) {
        throw invalid([inParams], 'URL');
      }
      const inQuery = unstorableText(query);
      if (inQuery) {
        throw invalid([inQuery], 'query string');
      }
    });
    app.setValidatorCompiler(({ schema, httpPart }) =>
      httpPart === 'body' ? bodyAjv.compile(schema) : urlAjv.compile(schema),
    );
  },
  { name: 'validation' },
);
