import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataKit, tableName, type DataKit } from '../../test/helpers/data-tables.js';
import { dialects } from '../../test/helpers/databases.js';

describe.each(dialects)('Data API list: filters, sort, search, select, pagination (§7.6, §7.11, §7.12) (%s)', (dialect) => {
  let kit: DataKit;
  let table: string;
  let rows: Record<string, any>;
  beforeAll(async () => {
    kit = await createDataKit(dialect);
    table = tableName('books');
    await kit.table({
      tableName: table,
      schema: { title: { type: 'string' }, year: { type: 'int' }, rating: { type: 'number' }, read: { type: 'boolean' }, at: { type: 'date' }, tags: { type: 'array' }, author: { type: 'object' } },
    });
    const add = async (key: string, fields: Record<string, unknown>) => {
      kit.t.clock.advance(1000);
      rows[key] = await kit.row(table, kit.users.U1.id, fields);
    };
    rows = {};
    await add('a', { title: 'Alpha', year: 1999, rating: 4.5, read: true, at: '2024-01-01', tags: ['sf', 'classic'], author: { name: 'Ann', born: 1950 }, mood: 'calm' });
    await add('b', { title: 'beta', year: 2005, rating: 3, read: false, at: '2024-06-01T12:00:00Z', tags: ['sf'], author: { name: 'Bob' }, mood: 7 });
    await add('c', { title: 'Gamma ray', year: 2005, tags: [], mood: true });
    await add('d', { title: 'délta', rating: 5, read: true, author: { name: 'ann' }, mood: 'Zen' });
    await add('e', { year: 1980 });
  });
  afterAll(async () => {
    await kit.close();
  });

  const list = async (params: Record<string, unknown>) => {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (Array.isArray(v) && k === 'select') v.forEach((item) => search.append(k, item));
      else search.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
    return kit.as('U2', 'GET', `/v1/data/${table}?${search}`);
  };
  const keysOf = (res: any) => res.body.items.map((item: any) => Object.keys(rows).find((k) => rows[k].id === item.id));

  it.each([
    [{}, ['e', 'd', 'c', 'b', 'a']], // default: id desc = newest first
    [{ sortDirection: 'asc' }, ['a', 'b', 'c', 'd', 'e']],
    [{ andFilters: {} }, ['e', 'd', 'c', 'b', 'a']],
    [{ andFilters: { year: 2005 } }, ['c', 'b']],
    [{ andFilters: { year: { $gte: 1999, $lt: 2005 } } }, ['a']],
    [{ andFilters: { year: { $ne: 2005 } } }, ['e', 'd', 'a']], // $ne matches absent fields too
    [{ andFilters: { year: { $in: [1980, 1999] } } }, ['e', 'a']],
    [{ andFilters: { year: { $nin: [1980, 1999] } } }, ['d', 'c', 'b']],
    [{ andFilters: { rating: { $exists: true } } }, ['d', 'b', 'a']],
    [{ andFilters: { rating: { $exists: false } } }, ['e', 'c']],
    [{ andFilters: { rating: null } }, ['e', 'c']],
    [{ andFilters: { read: true } }, ['d', 'a']],
    [{ andFilters: { title: { $regex: '^[A-Z]' } } }, ['c', 'a']],
    [{ andFilters: { title: { $regex: '(?i)^[a-c]' } } }, ['b', 'a']],
    [{ andFilters: { title: { $gt: 'Z' } } }, ['d', 'b']], // code points: lower case after upper case
    [{ andFilters: { title: { $gt: 'dz' } } }, ['d']], // 'é' (U+00E9) sorts after every ASCII letter
    [{ andFilters: { tags: 'sf' } }, ['b', 'a']], // equality on an array = contains
    [{ andFilters: { tags: { $in: ['classic', 'x'] } } }, ['a']],
    [{ andFilters: { 'author.name': 'ann' } }, ['d']], // case-sensitive equality
    [{ andFilters: { 'author.born': { $lt: 2000 } } }, ['a']],
    [{ andFilters: { mood: 7 } }, ['b']], // undeclared fields are stored and filterable (D-27)
    [{ andFilters: { mood: { $gt: 'a' } } }, ['a']],
    [{ andFilters: { mood: true } }, ['c']],
    [{ andFilters: { nothing: { $exists: false } } }, ['e', 'd', 'c', 'b', 'a']], // unknown fields are absent
    [{ andFilters: { nothing: 1 } }, []],
    [{ andFilters: { at: { $gte: '2024-03-01' } } }, ['b']], // dates compare chronologically (D-33)
    [{ andFilters: { at: { $lt: '2024-06-01T14:00:00+02:00' } } }, ['a']],
    [{ andFilters: { createdAt: { $gt: '2026-01-15T09:30:02.500Z' } } }, ['e', 'd', 'c']],
    [{ orFilters: { year: 1999, rating: 5 } }, ['d', 'a']],
    [{ orFilters: [{ year: 2005, read: false }, { title: 'Alpha' }] }, ['b', 'a']], // D-22
    [{ andFilters: { year: 2005 }, orFilters: { title: 'beta', tags: { $exists: false } } }, ['b']],
    [{ orFilters: {} }, ['e', 'd', 'c', 'b', 'a']],
    [{ search: 'ALP' }, ['a']], // ASCII case-insensitive substring
    [{ search: 'a' }, ['d', 'c', 'b', 'a']],
    [{ search: 'DÉ' }, []], // non-ASCII letters are not folded
    [{ search: 'dé' }, ['d']],
    [{ search: 'zen', searchType: 'mood' }, ['d']],
    [{ search: 'ray', searchType: 'title' }, ['c']],
    [{ search: '%' }, []],
  ])('%j → %j', async (params, expected) => {
    const res = await list(params);
    expect(res.status).toBe(200);
    expect(keysOf(res)).toEqual(expected);
    expect(res.body.pagination.total).toBe(expected.length);
  });

  it.each([
    [{ sortBy: 'year', sortDirection: 'asc' }, ['d', 'e', 'a', 'b', 'c']], // missing first ascending; ties by id
    [{ sortBy: 'year' }, ['c', 'b', 'a', 'e', 'd']], // desc is the default (D-24); missing last
    [{ sortBy: 'title', sortDirection: 'asc' }, ['e', 'a', 'c', 'b', 'd']],
    [{ sortBy: 'rating', sortDirection: 'desc' }, ['d', 'a', 'b', 'e', 'c']],
    [{ sortBy: 'read', sortDirection: 'asc' }, ['c', 'e', 'b', 'a', 'd']],
    [{ sortBy: 'mood', sortDirection: 'asc' }, ['e', 'c', 'b', 'd', 'a']], // null < boolean < number < string; 'Zen' < 'calm'
    [{ sortBy: 'author.name', sortDirection: 'asc' }, ['c', 'e', 'a', 'b', 'd']],
    [{ sortBy: 'nothing', sortDirection: 'asc' }, ['a', 'b', 'c', 'd', 'e']], // unknown: all tie, id decides
    [{ sortBy: 'createdAt', sortDirection: 'asc' }, ['a', 'b', 'c', 'd', 'e']],
  ])('sorts %j → %j', async (params, expected) => {
    const res = await list(params);
    expect(res.status).toBe(200);
    expect(keysOf(res)).toEqual(expected);
  });

  it.each([
    [{ page: 2, limit: 2 }, ['c', 'b'], { page: 2, limit: 2, total: 5, totalPages: 3, hasNext: true, hasPrev: true }],
    [{ page: 3, limit: 2 }, ['a'], { page: 3, limit: 2, total: 5, totalPages: 3, hasNext: false, hasPrev: true }],
    [{ page: 9, limit: 2 }, [], { page: 9, limit: 2, total: 5, totalPages: 3, hasNext: false, hasPrev: true }],
    [{ page: 0, limit: 500 }, ['e', 'd', 'c', 'b', 'a'], { page: 1, limit: 100, total: 5, totalPages: 1, hasNext: false, hasPrev: false }], // clamped (D-23)
    [{ page: 'x', limit: 'y' }, ['e', 'd', 'c', 'b', 'a'], { page: 1, limit: 20, total: 5, totalPages: 1, hasNext: false, hasPrev: false }],
    [{ page: '1.7', limit: '-3' }, ['e'], { page: 1, limit: 1, total: 5, totalPages: 5, hasNext: true, hasPrev: false }],
    [{ limit: 1, andFilters: { nothing: 1 } }, [], { page: 1, limit: 1, total: 0, totalPages: 0, hasNext: false, hasPrev: false }],
  ])('paginates %j', async (params, expected, pagination) => {
    const res = await list(params);
    expect(keysOf(res)).toEqual(expected);
    expect(res.body.pagination).toEqual(pagination);
  });

  it('select keeps the named fields plus the system fields; unknown names are ignored; the parameter may repeat', async () => {
    const res = await list({ select: 'title,nothing', andFilters: { year: 1999 } });
    expect(res.body.items).toEqual([{ id: rows.a.id, createdBy: rows.a.createdBy, createdAt: rows.a.createdAt, updatedAt: rows.a.updatedAt, title: 'Alpha' }]);
    const repeated = await list({ select: ['title', 'year'], andFilters: { year: 1999 } });
    expect(Object.keys(repeated.body.items[0]).sort()).toEqual(['createdAt', 'createdBy', 'id', 'title', 'updatedAt', 'year']);
  });

  it.each([
    [{ andFilters: 'not json' }, /Invalid filter format/],
    [{ orFilters: '{' }, /Invalid filter format/],
    [{ andFilters: { year: { $foo: 1 } } }, /unknown operator/],
    [{ sortDirection: 'up' }, /asc or desc/],
    [{ sortBy: 'a..b' }, /sortBy/],
    [{ search: 'x'.repeat(300) }, /256/],
  ])('refuses %j with 400 data/validation-error', async (params, message) => {
    const res = await list(params);
    expect([res.status, res.body.code]).toEqual([400, 'data/validation-error']);
    expect(res.body.message).toMatch(message);
  });

  it('serves the spec and an OpenAPI 3.0.0 document generated from the current schema (§7.9, §7.10)', async () => {
    const spec = await kit.as('U2', 'GET', `/v1/data/${table}/spec`);
    expect(spec.status).toBe(200);
    expect(spec.body).toMatchObject({ tableName: table, schema: { bsonType: 'object', properties: { year: { bsonType: 'int' } } }, indexes: [], permissions: {} });
    expect(spec.body).not.toHaveProperty('rowFilters');
    const admin = await kit.as('A', 'GET', `/v1/data/${table}/spec`);
    expect(admin.body).toHaveProperty('rowFilters');
    const doc = await kit.as('G', 'GET', `/v1/data/${table}/openapi`);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.0.0');
    expect(doc.body.info).toMatchObject({ title: `${table} API`, version: '1.0.0' });
    expect(Object.keys(doc.body.paths)).toEqual([`/v1/data/${table}`, `/v1/data/${table}/{id}`]);
    expect(Object.keys(doc.body.paths[`/v1/data/${table}/{id}`])).toEqual(['get', 'patch', 'delete']);
    expect(doc.body.components.schemas[`${table}Input`].properties.year).toMatchObject({ type: 'integer' });
  });
});
