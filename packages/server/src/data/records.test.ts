import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataKit, tableName, type DataKit } from '../../test/helpers/data-tables.js';
import { dialects } from '../../test/helpers/databases.js';
import { TEST_SK } from '../../test/helpers/test-app.js';

describe.each(dialects)('Data API records: create, read, update, delete (%s)', (dialect) => {
  let kit: DataKit;
  let table: string;
  beforeAll(async () => {
    kit = await createDataKit(dialect);
    table = tableName('items');
    await kit.table({
      tableName: table,
      schema: {
        bsonType: 'object',
        required: ['title'],
        properties: {
          title: { bsonType: 'string', minLength: 1, maxLength: 10 },
          code: { bsonType: 'string', pattern: '^[A-Z]{3}$', unique: true },
          kind: { bsonType: 'string', enum: ['a', 'b'], default: 'a' },
          qty: { bsonType: 'int', minimum: 0, maximum: 100 },
          price: { bsonType: 'double' },
          done: { bsonType: 'bool' },
          due: { bsonType: 'date' },
          tags: { bsonType: 'array', items: { bsonType: 'string' } },
          author: { bsonType: 'object', properties: { name: { bsonType: 'string' } }, required: ['name'] },
          post: { type: 'reference', reference: 'posts' },
        },
      },
      permissions: { user: { create: true, read: true, list: true }, self: { update: true, delete: true } },
    });
  });
  afterAll(async () => {
    await kit.close();
  });
  const create = (body: unknown, who: 'U1' | 'U2' | 'A' = 'U1') => kit.as(who, 'POST', `/v1/data/${table}`, { body });

  it('creates a record with all four system fields, defaults and undeclared fields (§7.4, D-25, D-27)', async () => {
    const res = await create({ title: 'one', qty: 3, due: '2025-01-15T10:30:00+02:00', extra: { deep: [1, 'two'] }, note: null });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      createdBy: kit.users.U1.id,
      createdAt: '2026-01-15T09:30:00.000Z',
      updatedAt: '2026-01-15T09:30:00.000Z',
      title: 'one',
      qty: 3,
      kind: 'a',
      due: '2025-01-15T08:30:00.000Z',
      extra: { deep: [1, 'two'] },
    });
    const read = await kit.as('U2', 'GET', `/v1/data/${table}/${res.body.id}`);
    expect(read.body).toEqual(res.body);
  });

  it.each([
    [{}, 'title', /required/],
    [{ title: null }, 'title', /required/],
    [{ title: '' }, 'title', /at least 1/],
    [{ title: 'x'.repeat(11) }, 'title', /at most 10/],
    [{ title: 42 }, 'title', /string/],
    [{ title: 't', code: 'abc' }, 'code', /pattern/],
    [{ title: 't', kind: 'c' }, 'kind', /one of/],
    [{ title: 't', qty: '42' }, 'qty', /number/], // no coercion (§8.2)
    [{ title: 't', qty: 1.5 }, 'qty', /integer/],
    [{ title: 't', qty: -1 }, 'qty', /at least 0/],
    [{ title: 't', price: 'cheap' }, 'price', /number/],
    [{ title: 't', done: 'true' }, 'done', /true or false/],
    [{ title: 't', due: 'tomorrow' }, 'due', /ISO 8601/],
    [{ title: 't', due: '2025-02-30' }, 'due', /ISO 8601/],
    [{ title: 't', due: '2025-01-15T10:30:00' }, 'due', /ISO 8601/], // a time needs a zone
    [{ title: 't', tags: 'a' }, 'tags', /array/],
    [{ title: 't', tags: ['a', 2] }, 'tags[1]', /string/],
    [{ title: 't', author: { nick: 'x' } }, 'author.name', /required/],
    [{ title: 't', author: 'me' }, 'author', /object/],
    [{ title: 't', $set: 1 }, '$set', /not allowed/],
    [{ title: 't', 'a.b': 1 }, 'a.b', /not allowed/],
    [{ title: 't', '': 1 }, '', /not allowed/],
  ])('refuses %j naming the field %s (§8.2–§8.3)', async (body, field, message) => {
    const res = await create(body);
    expect([res.status, res.body.code]).toEqual([400, 'data/validation-error']);
    expect(res.body.message).toContain(`"${field}"`);
    expect(res.body.message).toMatch(message);
  });

  it.each([
    ['a string', '"hello"'],
    ['a number', '42'],
    ['null', 'null'],
    ['an empty batch', '[]'],
    ['a batch of 101', JSON.stringify(Array.from({ length: 101 }, () => ({ title: 'x' })))],
    ['a batch with a non-object', '[{"title":"x"}, 3]'],
    ['malformed JSON', '{"title":'],
  ])('refuses %s as a body with 400 data/validation-error', async (_label, payload) => {
    const res = await kit.t.request('POST', `/v1/data/${table}`, { token: kit.users.U1.token, body: payload, headers: { 'content-type': 'application/json' } });
    expect([res.status, res.body.code]).toEqual([400, 'data/validation-error']);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['']])('a write with Content-Type %j is 400 data/invalid-header', async (type) => {
    const res = await kit.t.request('POST', `/v1/data/${table}`, { token: kit.users.U1.token, body: '{"title":"x"}', headers: type ? { 'content-type': type } : {} });
    expect([res.status, res.body.code]).toEqual([400, 'data/invalid-header']);
  });

  it('creates a batch all at once, in input order (D-28)', async () => {
    const res = await create([{ title: 'b1' }, { title: 'b2' }, { title: 'b3' }]);
    expect(res.status).toBe(201);
    expect(res.body.map((r: any) => r.title)).toEqual(['b1', 'b2', 'b3']);
    const ids = res.body.map((r: any) => r.id);
    expect([...ids].sort()).toEqual(ids); // time-ordered ids keep the input order
  });

  it('answers 409 data/duplicate-value for a unique field', async () => {
    expect((await create({ title: 'u1', code: 'ABC' })).status).toBe(201);
    const res = await create({ title: 'u2', code: 'ABC' });
    expect([res.status, res.body.code]).toEqual([409, 'data/duplicate-value']);
    const other = await create({ title: 'u3', code: 'ABD' });
    const patch = await kit.as('U1', 'PATCH', `/v1/data/${table}/${other.body.id}`, { body: { code: 'ABC' } });
    expect([patch.status, patch.body.code]).toEqual([409, 'data/duplicate-value']);
  });

  it('updates partially: omitted fields stay, null clears, nested objects are replaced, updatedAt moves (§7.7)', async () => {
    const created = await create({ title: 'p', qty: 1, author: { name: 'Ann', age: 3 }, color: 'red', size: 2 });
    kit.t.clock.advanceSeconds(5);
    const res = await kit.as('U1', 'PATCH', `/v1/data/${table}/${created.body.id}`, { body: { qty: 2, author: { name: 'Bob' }, color: null, shape: 'round', updatedAt: '1999-01-01T00:00:00.000Z' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: created.body.id,
      createdBy: kit.users.U1.id,
      createdAt: created.body.createdAt,
      updatedAt: new Date(kit.t.clock.now()).toISOString(),
      title: 'p',
      kind: 'a',
      qty: 2,
      author: { name: 'Bob' },
      size: 2,
      shape: 'round',
    });
    const read = await kit.as('U1', 'GET', `/v1/data/${table}/${created.body.id}`);
    expect(read.body).toEqual(res.body);
  });

  it.each([
    [{ title: null }, 'title'],
    [{ qty: 'many' }, 'qty'],
  ])('refuses an update %j that breaks the schema', async (body, field) => {
    const created = await create({ title: 'v' });
    const res = await kit.as('U1', 'PATCH', `/v1/data/${table}/${created.body.id}`, { body });
    expect([res.status, res.body.code]).toEqual([400, 'data/validation-error']);
    expect(res.body.message).toContain(`"${field}"`);
  });

  it('deletes with { success: true }; the row is gone (§7.8)', async () => {
    const created = await create({ title: 'd' });
    const res = await kit.as('U1', 'DELETE', `/v1/data/${table}/${created.body.id}`);
    expect([res.status, res.body]).toEqual([200, { success: true }]);
    const again = await kit.as('U1', 'GET', `/v1/data/${table}/${created.body.id}`);
    expect([again.status, again.body.code]).toEqual([404, 'data/not-found']);
  });

  it.each([
    ['GET', 'unknown id', '0000000000000000000000ff', 'data/not-found'],
    ['GET', 'malformed id', "x' or '1'='1", 'data/not-found'],
    ['PATCH', 'unknown id', '0000000000000000000000ff', 'data/not-found'],
    ['DELETE', 'unknown id', '0000000000000000000000ff', 'data/not-found'],
  ])('%s with an %s → 404', async (method, _label, id, code) => {
    const res = await kit.as('U1', method, `/v1/data/${table}/${encodeURIComponent(id)}`, { body: method === 'PATCH' ? { title: 'x' } : undefined });
    expect([res.status, res.body.code]).toEqual([404, code]);
  });

  it.each([
    ['GET', ''],
    ['POST', ''],
    ['GET', '/abc'],
    ['PATCH', '/abc'],
    ['DELETE', '/abc'],
    ['GET', '/spec'],
  ])('%s on an unknown table → 404 data/table-not-found', async (method, path) => {
    const res = await kit.as('U1', method, `/v1/data/Items-${Date.now()}${path}`, { body: method === 'POST' || method === 'PATCH' ? { a: 1 } : undefined });
    expect([res.status, res.body.code]).toEqual([404, 'data/table-not-found']);
  });

  it('names are case-sensitive: another case is another (missing) table', async () => {
    const res = await kit.as('U1', 'GET', `/v1/data/${table.toUpperCase()}`);
    expect([res.status, res.body.code]).toEqual([404, 'data/table-not-found']);
  });

  it('answers 401 auth/unauthorized without a key', async () => {
    const res = await kit.t.request('GET', `/v1/data/${table}`, { key: null });
    expect([res.status, res.body.code]).toEqual([401, 'auth/unauthorized']);
  });
});

describe.each(dialects)('Data API rate limit (%s)', (dialect) => {
  let kit: DataKit;
  beforeAll(async () => {
    kit = await createDataKit(dialect, { LATCH_RATE_DATA: '3/60' });
  });
  afterAll(async () => {
    await kit.close();
  });

  it('429 data/rate-limit-exceeded with Retry-After, per requester', async () => {
    const table = tableName('rl');
    await kit.t.request('POST', '/v1/admin/tables', { key: TEST_SK, body: { tableName: table } });
    for (let i = 0; i < 3; i++) expect((await kit.as('U1', 'GET', `/v1/data/${table}`)).status).toBe(200);
    const res = await kit.as('U1', 'GET', `/v1/data/${table}`);
    expect([res.status, res.body.code]).toEqual([429, 'data/rate-limit-exceeded']);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect((await kit.as('U2', 'GET', `/v1/data/${table}`)).status).toBe(200);
  });
});
