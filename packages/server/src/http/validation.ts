import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

/**
 * Two validators: query strings, params and headers are text and need coercion ("page=2");
 * JSON bodies do not, so `{"password": 123}` is a type error instead of silently becoming "123".
 * Unknown body fields are ignored, never rejected (auth-api.md leniency rule).
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
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as never;
}
