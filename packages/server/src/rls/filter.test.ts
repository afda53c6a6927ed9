import { Kysely, PostgresDialect, SqliteDialect, type RawBuilder } from 'kysely';
import { describe, expect, it } from 'vitest';
import { storageDialect } from '../data/storage-dialect.js';
import { POSTGRES, SQLITE } from '../db/dialect.js';
import type { TableDefinition } from '../tables/definition.js';
import { FilterError, parseAndFilters, parseOrFilters, rowFilterPredicate, searchPredicate } from './filter.js';
import { resolveField } from './fields.js';
import { asciiCaseless, regexMatches } from './regex.js';
import { and, ownedBy } from './predicate.js';
import { predicateToSql, sortTerms } from './to-sql.js';

const table: TableDefinition = {
  id: '0123456789abcdef',
  name: 'posts',
  displayName: null,
  description: null,
  schema: {
    bsonType: 'object',
    required: [],
    properties: { title: { bsonType: 'string' }, views: { bsonType: 'int' }, done: { bsonType: 'bool' }, at: { bsonType: 'date' }, tags: { bsonType: 'array' }, author: { bsonType: 'object' } },
  },
  columns: {
    title: { column: 'f_00000001', storage: 'text' },
    views: { column: 'f_00000002', storage: 'number' },
    done: { column: 'f_00000003', storage: 'bool' },
    at: { column: 'f_00000004', storage: 'date' },
    tags: { column: 'f_00000005', storage: 'json' },
    author: { column: 'f_00000006', storage: 'json' },
  },
  indexes: [],
  policy: { permissions: null, expressionPermissions: null, columnPermissions: null, rowFilters: null },
  schemaVersion: 1,
  indexVersion: 1,
  createdAt: 0,
  updatedAt: 0,
};

// Compiling needs a dialect, not a connection.
const compilers = {
  sqlite: new Kysely<any>({ dialect: new SqliteDialect({ database: {} as never }) }),
  postgres: new Kysely<any>({ dialect: new PostgresDialect({ pool: {} as never }) }),
};
function compile(builder: RawBuilder<unknown>, dialect: 'sqlite' | 'postgres') {
  const { sql, parameters } = builder.compile(compilers[dialect]);
  return { sql: sql.replace(/\s+/g, ' ').trim(), parameters };
}
function where(filter: unknown, dialect: 'sqlite' | 'postgres' = 'sqlite') {
  return compile(predicateToSql(parseAndFilters(table, filter).predicate, storageDialect(dialect === 'sqlite' ? SQLITE : POSTGRES)), dialect);
}

describe('andFilters → SQL (pocketbase filter.go style)', () => {
  it.each([
    [{}, '1 = 1', []],
    [{ title: 'a' }, '("f_00000001" = ? and "f_00000001" is not null)', ['a']],
    [{ title: { $eq: 'a' } }, '("f_00000001" = ? and "f_00000001" is not null)', ['a']],
    [{ title: { $ne: 'a' } }, '(not ("f_00000001" = ? and "f_00000001" is not null))', ['a']],
    [{ views: { $gte: 1, $lt: 5 } }, '(("f_00000002" >= ? and "f_00000002" is not null) and ("f_00000002" < ? and "f_00000002" is not null))', [1, 5]],
    [{ views: 'ten' }, '1 = 0', []], // no coercion: a string never equals a number field
    [{ views: { $ne: 'ten' } }, '1 = 1', []],
    [{ done: true }, '("f_00000003" = ? and "f_00000003" is not null)', [1]],
    [{ done: { $gt: 'x' } }, '1 = 0', []],
    [{ title: null }, '(not ("f_00000001" is not null))', []],
    [{ title: { $exists: true } }, '("f_00000001" is not null)', []],
    [{ id: { $exists: false } }, '1 = 0', []],
    [{ title: { $in: ['a', 'b'] } }, '(("f_00000001" = ? and "f_00000001" is not null) or ("f_00000001" = ? and "f_00000001" is not null))', ['a', 'b']],
    [{ title: { $in: [] } }, '1 = 0', []],
    [{ title: { $nin: [] } }, '1 = 1', []],
    [{ createdBy: 'u1' }, '("created_by" = ?)', ['u1']],
    [{ createdAt: { $gte: '2025-01-15T10:30:00+01:00' } }, '("created_at" >= ?)', [Date.UTC(2025, 0, 15, 9, 30)]],
    [{ at: { $lt: '2025-01-15' } }, '("f_00000004" < ? and "f_00000004" is not null)', ['2025-01-15T00:00:00.000Z']],
    [{ title: { $regex: '^a.c$' } }, '(latch_regexp(?, "f_00000001") = 1)', ['^a.c$']],
    [{ views: { $regex: '1' } }, '1 = 0', []],
    [{ 'title.x': 'a' }, '1 = 0', []], // a scalar field has no nested values
    [{ "x'; drop table users; --": 1 }, '((coalesce(json_type("extra", ?), \'\') in (\'integer\', \'real\') and json_extract("extra", ?) = ?) or (json_type("extra", ?) is \'array\' and exists (select 1 from json_each("extra", ?) as e where e.type in (\'integer\', \'real\') and e.value = ?)))', [`$."x'; drop table users; --"`, `$."x'; drop table users; --"`, 1, `$."x'; drop table users; --"`, `$."x'; drop table users; --"`, 1]],
  ])('%j → %s', (filter, sql, parameters) => {
    expect(where(filter)).toEqual({ sql, parameters });
  });

  it('compiles JSON paths with bound paths on PostgreSQL', () => {
    expect(where({ 'author.name': { $gt: 'm' } }, 'postgres')).toEqual({
      sql: 'coalesce((case when jsonb_typeof(("f_00000006" #> cast($1 as text[]))) = \'string\' then ("f_00000006" #> cast($2 as text[])) #>> \'{}\' end) collate "C" > $3, false)',
      parameters: ['{"name"}', '{"name"}', 'm'],
    });
  });

  it.each([
    [[], /JSON object/],
    ['title', /JSON object/],
    [{ $where: 'sleep(1)' }, /not allowed here/],
    [{ $or: [{ a: 1 }] }, /not allowed here/],
    [{ title: { $where: 'x' } }, /unknown operator/],
    [{ title: { $expr: 1 } }, /unknown operator/],
    [{ title: {} }, /empty condition/],
    [{ title: ['a', 'b'] }, /arrays need \$in/],
    [{ title: { nested: 1 } }, /unknown operator/],
    [{ title: { $in: 'a' } }, /array/],
    [{ title: { $in: [{ $gt: 1 }] } }, /array/],
    [{ title: { $eq: { $gt: '' } } }, /string, number, boolean or null/],
    [{ title: { $gt: true } }, /number, a string or an ISO date/],
    [{ title: { $exists: 'yes' } }, /true or false/],
    [{ title: { $regex: '(a)\\1' } }, /escape/],
    [{ title: { $regex: '(?=a)' } }, /only \(\?:…\)/],
    [{ title: { $regex: 'a{1000}' } }, /255/],
    [{ title: { $regex: 'x'.repeat(300) } }, /1–256/],
    [{ title: { $regex: '\\b' } }, /escape/],
    [{ at: 'yesterday' }, /ISO 8601/],
    [{ createdAt: { $gt: 1700000000000 } }, /ISO 8601/],
    [{ '': 1 }, /1–256/],
    [{ 'a..b': 1 }, /not a valid field name/],
    [{ 'a."b': 1 }, /not a valid field name/],
    [Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`f${i}`, 1])), /at most 100/],
  ])('refuses %j', (filter, message) => {
    expect(() => parseAndFilters(table, filter)).toThrow(FilterError);
    expect(() => parseAndFilters(table, filter)).toThrow(message);
  });
});

describe('orFilters, row filters, search, ownership, sort', () => {
  it('orFilters takes an object (any entry) or an array of objects (D-22)', () => {
    const dialect = storageDialect(SQLITE);
    expect(compile(predicateToSql(parseOrFilters(table, { title: 'a', views: 2 }).predicate, dialect), 'sqlite').sql).toBe(
      '(("f_00000001" = ? and "f_00000001" is not null) or ("f_00000002" = ? and "f_00000002" is not null))',
    );
    expect(compile(predicateToSql(parseOrFilters(table, [{ title: 'a', views: 2 }, { done: false }]).predicate, dialect), 'sqlite').sql).toBe(
      '((("f_00000001" = ? and "f_00000001" is not null) and ("f_00000002" = ? and "f_00000002" is not null)) or ("f_00000003" = ? and "f_00000003" is not null))',
    );
    expect(parseOrFilters(table, {}).predicate).toEqual({ kind: 'const', value: true });
    expect(parseOrFilters(table, []).predicate).toEqual({ kind: 'const', value: true });
  });

  it('substitutes $userId in row filters, and a filter needing it matches nothing without an id', () => {
    const filters = [{ createdBy: '$userId' }, { tags: { $in: ['$userId', 'x'] } }];
    const withId = compile(predicateToSql(rowFilterPredicate(table, filters, 'u1'), storageDialect(SQLITE)), 'sqlite');
    expect(withId.parameters.filter((p) => p === 'u1')).toHaveLength(3);
    expect(rowFilterPredicate(table, filters, null)).toEqual({ kind: 'const', value: false });
    expect(rowFilterPredicate(table, [], 'u1')).toEqual({ kind: 'const', value: false });
  });

  it('ownership: createdBy equals the requester; no id (or "") matches nothing', () => {
    expect(compile(predicateToSql(ownedBy('u1'), storageDialect(POSTGRES)), 'postgres')).toEqual({ sql: '("created_by" = $1)', parameters: ['u1'] });
    expect(ownedBy(null)).toEqual({ kind: 'const', value: false });
    expect(ownedBy('')).toEqual({ kind: 'const', value: false });
    expect(and([ownedBy(null), parseAndFilters(table, { title: 'a' }).predicate])).toEqual({ kind: 'const', value: false });
  });

  it('search folds ASCII only, binds the term, and skips non-text fields', () => {
    const fields = ['title', 'views', 'note'].map((f) => resolveField(table, f));
    expect(compile(predicateToSql(searchPredicate(fields, 'ÄbC'), storageDialect(SQLITE)), 'sqlite')).toEqual({
      sql: '((coalesce(instr(lower("f_00000001"), ?), 0) > 0) or (json_type("extra", ?) is \'text\' and instr(lower(json_extract("extra", ?)), ?) > 0))',
      parameters: ['Äbc', '$."note"', '$."note"', 'Äbc'],
    });
  });

  it('sorts NULL first ascending on PostgreSQL, and JSON values by type rank', () => {
    const pg = storageDialect(POSTGRES);
    expect(sortTerms(resolveField(table, 'title'), 'asc', pg).map((t) => compile(t, 'postgres').sql)).toEqual(['"f_00000001" asc nulls first']);
    expect(sortTerms(resolveField(table, 'createdAt'), 'desc', pg).map((t) => compile(t, 'postgres').sql)).toEqual(['"created_at" desc']);
    expect(sortTerms(resolveField(table, 'id.x'), 'desc', pg)).toEqual([]);
    expect(sortTerms(resolveField(table, 'score'), 'asc', storageDialect(SQLITE))).toHaveLength(4);
  });
});

describe('$regex (?i) on SQLite folds ASCII letters only (decisions.md §4), as PostgreSQL does under COLLATE "C"', () => {
  it.each([
    ['élan', 'é[lL][aA][nN]'],
    ['a[b-dX]c', '[aA][b-dBCDXx][cC]'],
    ['[]a-]', '[\\]aA\\-]'],
    ['[^k]', '[^kK]'],
    ['[Z-a]', '[Z-azA]'],
    ['[\\d-z]', '[\\d\\-zZ]'],
    ['[[:upper:]][[:lower:]][[:digit:]]', '[[:alpha:]][[:alpha:]][[:digit:]]'],
    ['a{2}\\.b\\D\\n', '[aA]{2}\\.[bB]\\D\\n'],
    ['(?:ab)|c', '(?:[aA][bB])|[cC]'],
    ['😀[😀s]', '😀[😀sS]'],
  ])('%s is compiled as %s', (pattern, rewritten) => {
    expect(asciiCaseless(pattern)).toBe(rewritten);
  });

  it.each([
    ['(?i)élan', 'Élan', false],
    ['(?i)ÉLAN', 'Élan', true],
    ['(?i)^k$', '\u212a', false], // KELVIN SIGN: RE2 folds it to k
    ['(?i)^s$', '\u017f', false], // LATIN SMALL LETTER LONG S: RE2 folds it to s
    ['(?i)[^k]', 'K', false],
    ['(?i)\\W', 'k', false],
    ['(?i)^[[:upper:]]+$', 'aZ', true],
    ['(?i)^a[b-d]+$', 'AbCD', true],
    ['^a$', 'A', false],
  ])('%s on %j → %s', (pattern, value, matches) => {
    expect(regexMatches(pattern, value)).toBe(matches);
  });
});
