import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { physicalName, type StorageDialect } from '../data/storage-dialect.js';
import type { FieldRef, Predicate } from './predicate.js';

/**
 * The last step of the compiler: predicate tree → Kysely expression. Column names come only from
 * resolved FieldRefs (synthetic physical names, re-checked here); every value is a bound parameter.
 */
export function predicateToSql(predicate: Predicate, dialect: StorageDialect): RawBuilder<SqlBool> {
  switch (predicate.kind) {
    case 'const':
      return predicate.value ? sql<SqlBool>`1 = 1` : sql<SqlBool>`1 = 0`;
    case 'and':
    case 'or':
      return sql<SqlBool>`(${sql.join(
        predicate.items.map((item) => predicateToSql(item, dialect)),
        sql.raw(predicate.kind === 'and' ? ' and ' : ' or '),
      )})`;
    case 'not':
      return sql<SqlBool>`(not ${predicateToSql(predicate.item, dialect)})`;
    case 'compare': {
      const { field, op, value } = predicate;
      if (field.kind === 'json') return op === '=' ? dialect.jsonEquals(column(field), field.path, value) : dialect.jsonCompare(column(field), field.path, op, value as string | number);
      if (field.kind === 'absent') return sql<SqlBool>`1 = 0`;
      const bound = typeof value === 'boolean' ? dialect.boolParam(value) : value;
      const ref = column(field);
      // `and … is not null` keeps the result two-valued (NOT stays exact) and still uses indexes.
      return field.nullable ? sql<SqlBool>`(${ref} ${sql.raw(op)} ${bound} and ${ref} is not null)` : sql<SqlBool>`(${ref} ${sql.raw(op)} ${bound})`;
    }
    case 'present': {
      const { field } = predicate;
      if (field.kind === 'json') return dialect.jsonPresent(column(field), field.path);
      if (field.kind === 'absent') return sql<SqlBool>`1 = 0`;
      return sql<SqlBool>`(${column(field)} is not null)`;
    }
    case 'regex': {
      const { field, pattern } = predicate;
      if (field.kind === 'json') return dialect.jsonRegex(column(field), field.path, pattern);
      if (field.kind === 'absent') return sql<SqlBool>`1 = 0`;
      return dialect.regex(column(field), pattern);
    }
    case 'search': {
      const { field, term } = predicate;
      if (field.kind === 'json') return dialect.jsonContainsText(column(field), field.path, term);
      if (field.kind === 'absent') return sql<SqlBool>`1 = 0`;
      return dialect.containsText(column(field), term);
    }
  }
}

function column(field: Exclude<FieldRef, { kind: 'absent' }>) {
  return sql.ref(physicalName(field.column));
}

/** ORDER BY terms for a sort key (decisions.md §4 NULL placement and JSON type order). */
export function sortTerms(field: FieldRef, direction: 'asc' | 'desc', dialect: StorageDialect): RawBuilder<unknown>[] {
  if (field.kind === 'absent') return []; // every row ties; the id tie-breaker orders them (§7.12)
  if (field.kind === 'json') return dialect.jsonSortKeys(column(field), field.path).map((key) => dialect.orderTerm(key, direction, true));
  return [dialect.orderTerm(column(field), direction, field.nullable)];
}
