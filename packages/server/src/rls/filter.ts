import type { CompareOp, Scalar } from '../data/storage-dialect.js';
import { canonicalDate, dateMillis } from '../data/dates.js';
import type { TableDefinition } from '../tables/definition.js';
import { FieldNameError, resolveField } from './fields.js';
import { and, FALSE, not, or, TRUE, type FieldRef, type Predicate } from './predicate.js';
import { checkRegex, RegexError } from './regex.js';

/** A filter the client got wrong: 400 data/validation-error (§7.11). */
export class FilterError extends Error {}

export interface ParsedFilter {
  predicate: Predicate;
  /** Top-level fields the filter reads (checked against column read rules, D-31). */
  fields: Set<string>;
}

const RANGE: Record<string, CompareOp> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };
const OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$regex', '$exists']);
const MAX_CONDITIONS = 100;
const MAX_LIST = 500;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar | null {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

class Parser {
  readonly fields = new Set<string>();
  private conditions = 0;

  constructor(private readonly table: TableDefinition) {}

  /** `{ field: value | { $op: value, … }, … }`; entries combined with AND or OR. */
  object(filter: unknown, combine: 'and' | 'or', where: string): Predicate {
    if (!isPlainObject(filter)) throw new FilterError(`${where} must be a JSON object`);
    const parts = Object.entries(filter).map(([name, condition]) => this.entry(name, condition, where));
    return combine === 'and' ? and(parts) : or(parts);
  }

  private entry(name: string, condition: unknown, where: string): Predicate {
    if (++this.conditions > MAX_CONDITIONS) throw new FilterError(`${where}: at most ${MAX_CONDITIONS} conditions`);
    // §7.11: any `$` key where a field belongs ($where, $expr, a top-level $or…) is refused.
    if (name.startsWith('$')) throw new FilterError(`${where}: operator "${name}" is not allowed here; conditions are { field: value } or { field: { $op: value } }`);
    let field: FieldRef;
    try {
      field = resolveField(this.table, name);
    } catch (error) {
      if (error instanceof FieldNameError) throw new FilterError(`${where}: ${error.message}`);
      throw error;
    }
    this.fields.add(field.field);
    if (isScalar(condition)) return this.equals(field, condition);
    if (!isPlainObject(condition)) throw new FilterError(`${where}.${name}: use a scalar for equality or { $op: value } (arrays need $in)`);
    const operators = Object.entries(condition);
    if (operators.length === 0) throw new FilterError(`${where}.${name}: empty condition`);
    return and(operators.map(([operator, value]) => this.operator(field, operator, value, `${where}.${name}`)));
  }

  private operator(field: FieldRef, operator: string, value: unknown, where: string): Predicate {
    if (!OPERATORS.has(operator)) throw new FilterError(`${where}: unknown operator "${operator}"`);
    switch (operator) {
      case '$eq':
      case '$ne': {
        if (!isScalar(value)) throw new FilterError(`${where}.${operator} takes a string, number, boolean or null`);
        const equal = this.equals(field, value);
        return operator === '$eq' ? equal : not(equal);
      }
      case '$in':
      case '$nin': {
        if (!Array.isArray(value) || value.length > MAX_LIST || !value.every(isScalar)) {
          throw new FilterError(`${where}.${operator} takes an array of at most ${MAX_LIST} scalar values`);
        }
        const any = or(value.map((item) => this.equals(field, item)));
        return operator === '$in' ? any : not(any);
      }
      case '$exists':
        if (typeof value !== 'boolean') throw new FilterError(`${where}.$exists takes true or false`);
        return value ? present(field) : not(present(field));
      case '$regex': {
        let pattern: string;
        try {
          pattern = checkRegex(value);
        } catch (error) {
          if (error instanceof RegexError) throw new FilterError(`${where}: ${error.message}`);
          throw error;
        }
        if (field.kind === 'json') return { kind: 'regex', field, pattern };
        if (field.kind === 'column' && (field.storage === 'text' || field.storage === 'date')) return { kind: 'regex', field, pattern };
        return FALSE; // numbers, booleans and timestamps never match a pattern
      }
      default: {
        if (typeof value !== 'string' && (typeof value !== 'number' || !Number.isFinite(value))) {
          throw new FilterError(`${where}.${operator} takes a number, a string or an ISO date`);
        }
        return this.compare(field, RANGE[operator], value, where);
      }
    }
  }

  private equals(field: FieldRef, value: Scalar | null): Predicate {
    if (value === null) return not(present(field)); // null = no value (D-28b): matches absent fields
    return this.compare(field, '=', value, field.field);
  }

  /** Values of another type never match (no coercion, §8.2); date operands are parsed (D-33). */
  private compare(field: FieldRef, op: CompareOp, value: Scalar, where: string): Predicate {
    if (field.kind === 'absent') return FALSE;
    if (field.kind === 'json') return { kind: 'compare', field, op, value };
    switch (field.storage) {
      case 'text':
        return typeof value === 'string' ? { kind: 'compare', field, op, value } : FALSE;
      case 'number':
        return typeof value === 'number' ? { kind: 'compare', field, op, value } : FALSE;
      case 'bool':
        return typeof value === 'boolean' && op === '=' ? { kind: 'compare', field, op, value } : FALSE;
      case 'date': {
        const canonical = typeof value === 'string' ? canonicalDate(value) : null;
        if (canonical === null) throw new FilterError(`${where}: ${JSON.stringify(value)} is not an ISO 8601 date`);
        return { kind: 'compare', field, op, value: canonical };
      }
      case 'millis': {
        const millis = typeof value === 'string' ? dateMillis(value) : null;
        if (millis === null) throw new FilterError(`${where}: ${JSON.stringify(value)} is not an ISO 8601 date`);
        return { kind: 'compare', field, op, value: millis };
      }
    }
  }
}

function present(field: FieldRef): Predicate {
  if (field.kind === 'absent') return FALSE;
  if (field.kind === 'column' && !field.nullable) return TRUE;
  return { kind: 'present', field };
}

/** `andFilters` (§7.11): every condition must hold; `{}` adds nothing. */
export function parseAndFilters(table: TableDefinition, filter: unknown): ParsedFilter {
  const parser = new Parser(table);
  return { predicate: parser.object(filter, 'and', 'andFilters'), fields: parser.fields };
}

/** `orFilters`: an object (any entry holds) or, D-22, an array of objects (any object holds entirely). */
export function parseOrFilters(table: TableDefinition, filter: unknown): ParsedFilter {
  const parser = new Parser(table);
  if (Array.isArray(filter)) {
    if (filter.length === 0) return { predicate: TRUE, fields: parser.fields };
    return { predicate: or(filter.map((item, i) => parser.object(item, 'and', `orFilters[${i}]`))), fields: parser.fields };
  }
  if (isPlainObject(filter) && Object.keys(filter).length === 0) return { predicate: TRUE, fields: parser.fields };
  return { predicate: parser.object(filter, 'or', 'orFilters'), fields: parser.fields };
}

const USER_ID = '$userId';

function mentionsUserId(value: unknown): boolean {
  if (value === USER_ID) return true;
  if (Array.isArray(value)) return value.some(mentionsUserId);
  if (isPlainObject(value)) return Object.values(value).some(mentionsUserId);
  return false;
}

function substituteUserId(value: unknown, userId: string): unknown {
  if (value === USER_ID) return userId;
  if (Array.isArray(value)) return value.map((item) => substituteUserId(item, userId));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteUserId(v, userId)]));
  return value;
}

/**
 * §4.6: the applicable row filters OR-combined; `"$userId"` anywhere in a filter is the requester id, and
 * a filter that needs it matches nothing for a requester without one. An empty list = no match (D-10).
 */
export function rowFilterPredicate(table: TableDefinition, filters: Array<Record<string, unknown>>, requesterId: string | null): Predicate {
  return or(
    filters.map((filter) => {
      if (mentionsUserId(filter) && !requesterId) return FALSE;
      const resolved = requesterId ? substituteUserId(filter, requesterId) : filter;
      return new Parser(table).object(resolved, 'and', 'rowFilters');
    }),
  );
}

/** Checks a row filter's syntax against the table when the policy is saved. */
export function checkRowFilter(table: TableDefinition, filter: unknown): void {
  new Parser(table).object(substituteUserId(filter, 'user-id-placeholder'), 'and', 'rowFilters.filter');
}

/** `search` (§7.11): ASCII case-insensitive substring over the given fields. */
export function searchPredicate(fields: FieldRef[], term: string): Predicate {
  const lowered = term.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return or(
    fields.map((field): Predicate => {
      if (field.kind === 'json' || (field.kind === 'column' && (field.storage === 'text' || field.storage === 'date'))) {
        return { kind: 'search', field, term: lowered };
      }
      return FALSE;
    }),
  );
}
