import { RE2JS } from 're2js';
import type { FieldSchema, TableSchema } from '../tables/definition.js';
import { canonicalDate } from './dates.js';

export interface FieldIssue {
  field: string;
  message: string;
}

const patterns = new Map<string, RE2JS>();

function compiled(pattern: string): RE2JS {
  let re = patterns.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    if (patterns.size > 500) patterns.clear();
    patterns.set(pattern, re);
  }
  return re;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Arrays and objects inside one field value nest at most this many levels (DECISIONS.md "Nesting").
 * SQLite's JSON functions refuse a document nested past 1000 levels as "malformed JSON", failing the
 * whole query, so a single deep row would break every list that reads JSON; 32 leaves room for any
 * real document and keeps both dialects identical.
 */
export const MAX_NESTING = 32;

/** True when arrays/objects in `value` nest deeper than `levels`; recursion stops there (bounded stack). */
function nestsDeeper(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levels === 0) return true;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (nestsDeeper(item, levels - 1)) return true;
  }
  return false;
}

/** The nesting limit for one field value, declared or not (every write path and declared defaults). */
function checkNesting(path: string, value: unknown, issues: FieldIssue[]): boolean {
  if (!nestsDeeper(value, MAX_NESTING)) return true;
  issues.push({ field: path, message: `nests arrays and objects more than ${MAX_NESTING} levels deep` });
  return false;
}

/** A declared field of a schema (own properties only: `constructor` or `toString` is no declared field). */
export function declaredField(properties: Record<string, FieldSchema> | undefined, name: string): FieldSchema | undefined {
  return properties !== undefined && Object.hasOwn(properties, name) ? properties[name] : undefined;
}

/**
 * One value of a write, declared (`schema`) or undeclared (kept as it is, D-27): the nesting limit, then
 * §8.2–§8.3: no implicit coercion ("42" is not an int, "true" not a bool), dates are ISO strings stored
 * in canonical UTC form, `null` means "no value". Returns the value to store.
 */
export function validateField(path: string, schema: FieldSchema | undefined, value: unknown, issues: FieldIssue[]): unknown {
  if (!checkNesting(path, value, issues)) return value;
  return schema ? checkValue(path, schema, value, issues) : value;
}

function checkValue(path: string, schema: FieldSchema, value: unknown, issues: FieldIssue[]): unknown {
  if (value === null) return null;
  const fail = (message: string) => {
    issues.push({ field: path, message });
    return value;
  };
  switch (schema.bsonType) {
    case 'string': {
      if (typeof value !== 'string') return fail('must be a string');
      const length = [...value].length; // code points, not UTF-16 units
      if (schema.minLength !== undefined && length < schema.minLength) return fail(`must be at least ${schema.minLength} characters long`);
      if (schema.maxLength !== undefined && length > schema.maxLength) return fail(`must be at most ${schema.maxLength} characters long`);
      if (schema.pattern !== undefined && !compiled(schema.pattern).matcher(value).find()) return fail(`must match the pattern ${schema.pattern}`);
      break;
    }
    case 'int':
    case 'double': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail('must be a number');
      if (schema.bsonType === 'int' && !Number.isSafeInteger(value)) return fail('must be an integer');
      if (schema.minimum !== undefined && value < schema.minimum) return fail(`must be at least ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) return fail(`must be at most ${schema.maximum}`);
      break;
    }
    case 'bool':
      if (typeof value !== 'boolean') return fail('must be true or false');
      break;
    case 'date': {
      const canonical = typeof value === 'string' ? canonicalDate(value) : null;
      if (canonical === null) return fail('must be an ISO 8601 date string');
      value = canonical;
      break;
    }
    case 'object': {
      if (!isPlainObject(value)) return fail('must be an object');
      const out: Record<string, unknown> = { ...value };
      // Own properties only: a declared child named `constructor` must not see Object.prototype's.
      const given = (child: string) => (Object.hasOwn(out, child) ? out[child] : undefined);
      for (const [child, childSchema] of Object.entries(schema.properties ?? {})) {
        if (given(child) !== undefined) out[child] = checkValue(`${path}.${child}`, childSchema, out[child], issues);
      }
      for (const child of schema.required ?? []) {
        if (given(child) === undefined || given(child) === null) issues.push({ field: `${path}.${child}`, message: 'is required' });
      }
      value = out;
      break;
    }
    case 'array': {
      if (!Array.isArray(value)) return fail('must be an array');
      value = schema.items ? value.map((item, i) => checkValue(`${path}[${i}]`, schema.items!, item, issues)) : value;
      break;
    }
  }
  if (schema.enum !== undefined && !schema.enum.includes(value as never)) return fail(`must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  return value;
}

/**
 * A whole record against the table schema: declared fields are validated, undeclared ones are kept as
 * they are (D-27), `required` fields must be present and non-null. `record` holds no system fields.
 */
export function validateRecord(schema: TableSchema, record: Record<string, unknown>, issues: FieldIssue[], prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    out[name] = validateField(`${prefix}${name}`, declaredField(schema.properties, name), value, issues);
  }
  for (const name of schema.required) {
    const value = Object.hasOwn(out, name) ? out[name] : undefined;
    if (value === undefined || value === null) issues.push({ field: `${prefix}${name}`, message: 'is required' });
  }
  return out;
}
