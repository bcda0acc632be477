import { Ajv, type Options } from 'ajv';
import ajvFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

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

/** Bodies are checked as sent: "5" is not a number. */
export const bodyAjv = addFormats(new Ajv({ ...base, coerceTypes: false, useDefaults: false }));
/** Query strings and path parameters arrive as text and are coerced. */
const urlAjv = addFormats(new Ajv({ ...base, coerceTypes: 'array', useDefaults: true }));

export default fp(
  async function validation(app: FastifyInstance) {
    app.setValidatorCompiler(({ schema, httpPart }) =>
      httpPart === 'body' ? bodyAjv.compile(schema) : urlAjv.compile(schema),
    );
  },
  { name: 'validation' },
);
