import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

/**
 * Two validators: query strings, params and headers are text and need coercion ("page=2");
 * JSON bodies do not, so `{"password": 123}` is a type error instead of silently becoming "123".
 * Unknown body fields are ignored, never rejected (auth-api.md leniency rule).
 * Every validated part also refuses text that no database can store faithfully (see `unstorableText`).
 */
export function buildValidatorCompiler(schemas: unknown[]): FastifySchemaCompiler<FastifySchema> {
  const make = (coerceTypes: boolean | 'array') => {
    const ajv = new Ajv.default({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true, strict: false });
    addFormats.default(ajv);
    for (const schema of schemas) ajv.addSchema(schema as object);
    return ajv;
  };
  const bodyAjv = make(false);
  const textAjv = make('array');
  return ({ schema, httpPart }) => withStorableText((httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object)) as never;
}

type Validate = ValidateFunction & ((data: unknown, dataCxt?: unknown) => boolean);

/** The schema first (its errors win), then the text check, reported like any other field error. */
function withStorableText(validate: ValidateFunction): Validate {
  const wrapped = ((data: unknown, dataCxt?: unknown) => {
    const valid = (validate as (d: unknown, c?: unknown) => boolean)(data, dataCxt);
    if (!valid) {
      wrapped.errors = validate.errors;
      return false;
    }
    const path = unstorableText(data, '');
    if (path === null) {
      wrapped.errors = null;
      return true;
    }
    const error: ErrorObject = { keyword: 'storableText', instancePath: path, schemaPath: '#', params: {}, message: 'must not contain NUL characters or unpaired surrogates' };
    wrapped.errors = [error];
    return false;
  }) as Validate;
  // Fastify passes parent data (needed for defaults on the root value) only to functions carrying this.
  (wrapped as { schemaEnv?: unknown }).schemaEnv = (validate as { schemaEnv?: unknown }).schemaEnv;
  return wrapped;
}

/**
 * The JSON path of the first string holding U+0000 or an unpaired surrogate, else null. PostgreSQL
 * refuses U+0000 in text (a 500 if it reaches a query) and both drivers silently turn unpaired surrogates
 * into U+FFFD, so such input is a validation error in every route family rather than a stored surprise.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function unstorableText(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : null;
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableText(value[i], `${path}/${i}`, depth + 1);
      if (found !== null) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const escaped = key.replaceAll('~', '~0').replaceAll('/', '~1');
    if (UNSTORABLE.test(key)) return `${path}/${escaped}`;
    const found = unstorableText(item, `${path}/${escaped}`, depth + 1);
    if (found !== null) return found;
  }
  return null;
}
