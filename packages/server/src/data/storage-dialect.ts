import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { DialectFlags } from '../db/dialect.js';

/** How a declared field is stored: one physical column type per class (decisions.md §4). */
export type StorageClass = 'text' | 'date' | 'number' | 'bool' | 'json';
export type CompareOp = '=' | '>' | '>=' | '<' | '<=';
export type Scalar = string | number | boolean;

/**
 * Everything that differs between SQLite and PostgreSQL for the app's data tables, in one adapter per
 * dialect (STYLE §8, like Kysely's DialectAdapter): column types, JSON access to undeclared fields,
 * regex, ASCII case folding and NULL ordering. Every value is a bound parameter; identifiers come only
 * from synthetic physical names (`t_<id>`, `f_<id>`) checked by `physicalName`.
 *
 * Semantics fixed here for both databases (decisions.md §4): strings compare by code point (BINARY /
 * COLLATE "C"); case-insensitive search folds ASCII letters only; JSON values order by type rank
 * null < boolean < number < string < array/object, then by value; a missing value and JSON null are the
 * same "no value" (D-28b). Every predicate is two-valued (never SQL NULL), so NOT is exact.
 */
export interface StorageDialect {
  name: 'sqlite' | 'postgres';
  columnType(storage: StorageClass): RawBuilder<unknown>;
  jsonColumnType(): RawBuilder<unknown>;
  /** A JSON value (object/array/scalar) as an SQL value for the JSON column type. */
  jsonParam(value: unknown): RawBuilder<unknown>;
  /** A stored JSON column value back to JS. */
  decodeJson(value: unknown): unknown;
  boolParam(value: boolean): number;

  jsonEquals(column: Expression<unknown>, path: string[], value: Scalar): RawBuilder<SqlBool>;
  jsonCompare(column: Expression<unknown>, path: string[], op: CompareOp, value: string | number): RawBuilder<SqlBool>;
  jsonPresent(column: Expression<unknown>, path: string[]): RawBuilder<SqlBool>;
  jsonRegex(column: Expression<unknown>, path: string[], pattern: string): RawBuilder<SqlBool>;
  jsonContainsText(column: Expression<unknown>, path: string[], loweredTerm: string): RawBuilder<SqlBool>;
  /** Sort keys of a JSON value: type rank, then boolean, number and string values (one non-null per row). */
  jsonSortKeys(column: Expression<unknown>, path: string[]): RawBuilder<unknown>[];

  regex(text: Expression<unknown>, pattern: string): RawBuilder<SqlBool>;
  containsText(text: Expression<unknown>, loweredTerm: string): RawBuilder<SqlBool>;
  /** ORDER BY term: ascending puts NULL first, descending last (decisions.md §4). */
  orderTerm(expression: Expression<unknown>, direction: 'asc' | 'desc', nullable: boolean): RawBuilder<unknown>;
  /** Index column term with the same NULL placement, so an index scan can serve that order. */
  indexTerm(column: string, direction: 'asc' | 'desc'): RawBuilder<unknown>;

  /** The column's value as JSON (for moving it into the undeclared-fields storage). */
  columnAsJson(column: Expression<unknown>, storage: StorageClass): RawBuilder<unknown>;
  extraWithKey(extra: Expression<unknown>, key: string, json: Expression<unknown>): RawBuilder<unknown>;
  extraWithoutKey(extra: Expression<unknown>, key: string): RawBuilder<unknown>;
  /** True when the undeclared value under `key` can move into a column of this storage class. */
  extraKeyFits(extra: Expression<unknown>, key: string, storage: StorageClass): RawBuilder<SqlBool>;
  extraKeyAs(extra: Expression<unknown>, key: string, storage: StorageClass): RawBuilder<unknown>;
}

const ASCII_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ASCII_LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ISO_GLOB = '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9]Z';
const ISO_REGEX = '^\\d{4}-[01]\\d-[0-3]\\dT[0-2]\\d:[0-5]\\d:[0-6]\\d\\.\\d{3}Z$';

const PHYSICAL = /^[tfiu]_[0-9a-f]{8,32}(_[0-9a-f]{8,16})?$|^(id|created_by|created_at|updated_at|extra)$/;

/** Physical identifiers are synthetic; refusing anything else keeps user text out of identifier positions. */
export function physicalName(name: string): string {
  if (!PHYSICAL.test(name)) throw new Error(`not a physical data identifier: ${name}`);
  return name;
}

export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function sqlitePath(path: string[]): string {
  return `$${path.map((segment) => `."${segment}"`).join('')}`;
}

const sqlite: StorageDialect = {
  name: 'sqlite',
  columnType: (storage) => (storage === 'number' ? sql`real` : storage === 'bool' ? sql`integer` : sql`text`),
  jsonColumnType: () => sql`text`,
  jsonParam: (value) => sql`${JSON.stringify(value)}`,
  decodeJson: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
  boolParam: (value) => (value ? 1 : 0),

  jsonEquals(column, path, value) {
    const p = sqlitePath(path);
    const [types, bound] = sqliteTypes(value);
    return sql<SqlBool>`((coalesce(json_type(${column}, ${p}), '') in (${sql.join(types.map((t) => sql.lit(t)))}) and json_extract(${column}, ${p}) = ${bound})
      or (json_type(${column}, ${p}) is 'array' and exists (select 1 from json_each(${column}, ${p}) as e where e.type in (${sql.join(types.map((t) => sql.lit(t)))}) and e.value = ${bound})))`;
  },
  jsonCompare(column, path, op, value) {
    const p = sqlitePath(path);
    const types = typeof value === 'number' ? ['integer', 'real'] : ['text'];
    return sql<SqlBool>`(coalesce(json_type(${column}, ${p}), '') in (${sql.join(types.map((t) => sql.lit(t)))}) and json_extract(${column}, ${p}) ${sql.raw(op)} ${value})`;
  },
  jsonPresent: (column, path) => sql<SqlBool>`(coalesce(json_type(${column}, ${sqlitePath(path)}), 'null') <> 'null')`,
  jsonRegex: (column, path, pattern) =>
    sql<SqlBool>`(json_type(${column}, ${sqlitePath(path)}) is 'text' and latch_regexp(${pattern}, json_extract(${column}, ${sqlitePath(path)})) = 1)`,
  jsonContainsText: (column, path, term) =>
    sql<SqlBool>`(json_type(${column}, ${sqlitePath(path)}) is 'text' and instr(lower(json_extract(${column}, ${sqlitePath(path)})), ${term}) > 0)`,
  jsonSortKeys(column, path) {
    const p = sqlitePath(path);
    const type = sql`json_type(${column}, ${p})`;
    return [
      sql`(case ${type} when 'true' then 1 when 'false' then 1 when 'integer' then 2 when 'real' then 2 when 'text' then 3 when 'array' then 4 when 'object' then 4 else 0 end)`,
      sql`(case ${type} when 'true' then 1 when 'false' then 0 end)`,
      sql`(case when ${type} in ('integer', 'real') then json_extract(${column}, ${p}) end)`,
      sql`(case when ${type} = 'text' then json_extract(${column}, ${p}) end)`,
    ];
  },

  regex: (text, pattern) => sql<SqlBool>`(latch_regexp(${pattern}, ${text}) = 1)`,
  // SQLite's lower() folds ASCII letters only (without ICU), exactly decisions.md §4.
  containsText: (text, term) => sql<SqlBool>`(coalesce(instr(lower(${text}), ${term}), 0) > 0)`,
  // SQLite already sorts NULL lowest: first ascending, last descending.
  orderTerm: (expression, direction) => sql`${expression} ${sql.raw(direction)}`,
  indexTerm: (column, direction) => sql`${sql.ref(physicalName(column))} ${sql.raw(direction)}`,

  columnAsJson(column, storage) {
    if (storage === 'bool') return sql`(case when ${column} then json('true') else json('false') end)`;
    if (storage === 'json') return sql`json(${column})`;
    return sql`${column}`;
  },
  extraWithKey: (extra, key, json) => sql`json_set(coalesce(${extra}, '{}'), ${sqlitePath([key])}, ${json})`,
  extraWithoutKey: (extra, key) => sql`nullif(json_remove(${extra}, ${sqlitePath([key])}), '{}')`,
  extraKeyFits(extra, key, storage) {
    const type = sql`json_type(${extra}, ${sqlitePath([key])})`;
    switch (storage) {
      case 'text':
        return sql<SqlBool>`(${type} is 'text')`;
      case 'date':
        return sql<SqlBool>`(${type} is 'text' and json_extract(${extra}, ${sqlitePath([key])}) glob ${ISO_GLOB})`;
      case 'number':
        return sql<SqlBool>`(${type} in ('integer', 'real'))`;
      case 'bool':
        return sql<SqlBool>`(${type} in ('true', 'false'))`;
      case 'json':
        return sql<SqlBool>`(${type} in ('array', 'object'))`;
    }
  },
  extraKeyAs(extra, key, storage) {
    if (storage === 'json') return sql`json_extract(${extra}, ${sqlitePath([key])})`; // arrays/objects come back as JSON text
    return sql`json_extract(${extra}, ${sqlitePath([key])})`;
  },
};

function sqliteTypes(value: Scalar): [string[], Scalar] {
  if (typeof value === 'boolean') return [[value ? 'true' : 'false'], value ? 1 : 0];
  if (typeof value === 'number') return [['integer', 'real'], value];
  return [['text'], value];
}

function pgJson(column: Expression<unknown>, path: string[]): RawBuilder<unknown> {
  return path.length === 0 ? sql`${column}` : sql`(${column} #> cast(${`{${path.map((s) => `"${s}"`).join(',')}}`} as text[]))`;
}

function pgJsonParam(value: Scalar): RawBuilder<unknown> {
  if (typeof value === 'boolean') return sql`to_jsonb(cast(${value} as boolean))`;
  if (typeof value === 'number') return sql`to_jsonb(cast(${String(value)} as numeric))`;
  return sql`to_jsonb(cast(${value} as text))`;
}

const postgres: StorageDialect = {
  name: 'postgres',
  columnType: (storage) => (storage === 'number' ? sql`double precision` : storage === 'bool' ? sql`integer` : sql`text collate "C"`),
  jsonColumnType: () => sql`jsonb`,
  jsonParam: (value) => sql`cast(${JSON.stringify(value)} as jsonb)`,
  decodeJson: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
  boolParam: (value) => (value ? 1 : 0),

  jsonEquals(column, path, value) {
    const j = pgJson(column, path);
    const v = pgJsonParam(value);
    return sql<SqlBool>`((${j}) is not distinct from ${v} or (case when jsonb_typeof(${j}) = 'array' then exists (select 1 from jsonb_array_elements(${j}) as e(v) where e.v = ${v}) else false end))`;
  },
  jsonCompare(column, path, op, value) {
    const j = pgJson(column, path);
    if (typeof value === 'number') {
      return sql<SqlBool>`coalesce((case when jsonb_typeof(${j}) = 'number' then cast(${j} #>> '{}' as numeric) end) ${sql.raw(op)} cast(${String(value)} as numeric), false)`;
    }
    return sql<SqlBool>`coalesce((case when jsonb_typeof(${j}) = 'string' then ${j} #>> '{}' end) collate "C" ${sql.raw(op)} ${value}, false)`;
  },
  jsonPresent: (column, path) => sql<SqlBool>`(coalesce(jsonb_typeof(${pgJson(column, path)}), 'null') <> 'null')`,
  jsonRegex: (column, path, pattern) => {
    const j = pgJson(column, path);
    // COLLATE "C" as for declared text columns: `(?i)` and classes then fold and match ASCII only (§4).
    return sql<SqlBool>`coalesce((case when jsonb_typeof(${j}) = 'string' then ${j} #>> '{}' end) collate "C" ~ ${pattern}, false)`;
  },
  jsonContainsText: (column, path, term) => {
    const j = pgJson(column, path);
    return sql<SqlBool>`coalesce(strpos(translate((case when jsonb_typeof(${j}) = 'string' then ${j} #>> '{}' end), ${ASCII_UPPER}, ${ASCII_LOWER}), ${term}) > 0, false)`;
  },
  jsonSortKeys(column, path) {
    const j = pgJson(column, path);
    const type = sql`jsonb_typeof(${j})`;
    return [
      sql`(case ${type} when 'boolean' then 1 when 'number' then 2 when 'string' then 3 when 'array' then 4 when 'object' then 4 else 0 end)`,
      sql`(case when ${type} = 'boolean' then cast(${j} #>> '{}' as boolean) end)`,
      sql`(case when ${type} = 'number' then cast(${j} #>> '{}' as numeric) end)`,
      sql`(case when ${type} = 'string' then ${j} #>> '{}' end) collate "C"`,
    ];
  },

  regex: (text, pattern) => sql<SqlBool>`coalesce(${text} ~ ${pattern}, false)`,
  // translate() folds exactly the 26 ASCII letters, whatever the server's locale (decisions.md §4).
  containsText: (text, term) => sql<SqlBool>`coalesce(strpos(translate(${text}, ${ASCII_UPPER}, ${ASCII_LOWER}), ${term}) > 0, false)`,
  orderTerm: (expression, direction, nullable) =>
    nullable ? sql`${expression} ${sql.raw(direction === 'asc' ? 'asc nulls first' : 'desc nulls last')}` : sql`${expression} ${sql.raw(direction)}`,
  indexTerm: (column, direction) => sql`${sql.ref(physicalName(column))} ${sql.raw(direction === 'asc' ? 'asc nulls first' : 'desc nulls last')}`,

  columnAsJson(column, storage) {
    if (storage === 'bool') return sql`to_jsonb(${column} <> 0)`;
    if (storage === 'json') return sql`${column}`;
    return sql`to_jsonb(${column})`;
  },
  extraWithKey: (extra, key, json) => sql`(coalesce(${extra}, '{}'::jsonb) || jsonb_build_object(cast(${key} as text), ${json}))`,
  extraWithoutKey: (extra, key) => sql`nullif(${extra} - cast(${key} as text), '{}'::jsonb)`,
  extraKeyFits(extra, key, storage) {
    const type = sql`jsonb_typeof(${extra} -> cast(${key} as text))`;
    switch (storage) {
      case 'text':
        return sql<SqlBool>`coalesce(${type} = 'string', false)`;
      case 'date':
        return sql<SqlBool>`coalesce(${type} = 'string' and (${extra} ->> cast(${key} as text)) ~ ${ISO_REGEX}, false)`;
      case 'number':
        return sql<SqlBool>`coalesce(${type} = 'number', false)`;
      case 'bool':
        return sql<SqlBool>`coalesce(${type} = 'boolean', false)`;
      case 'json':
        return sql<SqlBool>`coalesce(${type} in ('array', 'object'), false)`;
    }
  },
  extraKeyAs(extra, key, storage) {
    const value = sql`(${extra} ->> cast(${key} as text))`;
    if (storage === 'number') return sql`cast(${value} as double precision)`;
    if (storage === 'bool') return sql`(case when cast(${value} as boolean) then 1 else 0 end)`;
    if (storage === 'json') return sql`(${extra} -> cast(${key} as text))`;
    return value;
  },
};

export function storageDialect(flags: DialectFlags): StorageDialect {
  return flags.name === 'postgres' ? postgres : sqlite;
}
