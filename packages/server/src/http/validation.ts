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

export function unstorableText(value: unknown, path = ''): string | null {
  // An explicit stack, not recursion: a 1 MiB body can nest far deeper than the call stack, and every
  // string is checked however deep it sits (the Data API then refuses values nested past its limit).
  // Paths are built only for the string that fails, so a deep body costs O(size), not O(depth²).
  const stack: Visit[] = [{ value, at: null, parent: null }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    if (typeof visit.at === 'string' && UNSTORABLE.test(visit.at)) return pathOf(visit, path);
    const current = visit.value;
    if (typeof current === 'string') {
      if (UNSTORABLE.test(current)) return pathOf(visit, path);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    // Pushed in reverse, so values are visited in document order (the first offender is reported).
    const entries: Array<[string | number, unknown]> = Array.isArray(current) ? current.map((item, i) => [i, item]) : Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i][1], at: entries[i][0], parent: visit });
  }
  return null;
}

/** One value on the walk: where it sits (object key, which is checked too, or array index) and in what. */
interface Visit {
  value: unknown;
  at: string | number | null;
  parent: Visit | null;
}

function pathOf(visit: Visit, prefix: string): string {
  const segments: string[] = [];
  for (let step: Visit | null = visit; step && step.at !== null; step = step.parent) {
    segments.push(typeof step.at === 'number' ? String(step.at) : step.at.replaceAll('~', '~0').replaceAll('/', '~1'));
  }
  return prefix + segments.reverse().map((segment) => `/${segment}`).join('');
}
