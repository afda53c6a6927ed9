import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataKit, tableName, type DataKit } from '../../test/helpers/data-tables.js';
import { dialects } from '../../test/helpers/databases.js';
import { TEST_SK } from '../../test/helpers/test-app.js';

describe.each(dialects)('/v1/admin/tables (%s)', (dialect) => {
  let kit: DataKit;
  beforeAll(async () => {
    kit = await createDataKit(dialect);
  });
  afterAll(async () => {
    await kit.close();
  });
  const admin = (method: string, url: string, body?: unknown) => kit.t.request(method, `/v1/admin/tables${url}`, { key: TEST_SK, body });

  it.each([
    ['publishable key alone', {}, 401, 'auth/unauthorized'],
    ['a user JWT', { token: 'U1' }, 403, 'auth/forbidden'],
    ['no key', { key: null }, 401, 'auth/unauthorized'],
  ])('refuses %s', async (_label, options: { token?: string; key?: null }, status, code) => {
    const token = options.token ? kit.users.U1.token : undefined;
    const res = await kit.t.request('GET', '/v1/admin/tables', { token, key: options.key });
    expect([res.status, res.body.code]).toEqual([status, code]);
  });

  it('accepts the secret key, or a publishable key with an admin JWT', async () => {
    expect((await admin('GET', '')).status).toBe(200);
    expect((await kit.t.request('GET', '/v1/admin/tables', { token: kit.users.ADM.token })).status).toBe(200);
  });

  it('creates, lists, gets (by id or name), updates and deletes a table', async () => {
    const name = tableName('crud');
    const created = await admin('POST', '', {
      tableName: name,
      displayName: 'CRUD',
      projectId: 'ignored',
      environment: 'dev',
      schema: { bsonType: 'object', required: ['title'], properties: { title: { bsonType: 'string' }, n: { type: 'number' }, ref: { type: 'reference', target: 'users' } } },
      indexes: [{ name: 'by_title', fields: { title: 1 } }],
      permissions: { user: { read: true } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      tableName: name,
      displayName: 'CRUD',
      description: null,
      schema: { bsonType: 'object', required: ['title'], properties: { title: { bsonType: 'string' }, n: { bsonType: 'double' }, ref: { bsonType: 'string', reference: 'users' } } },
      indexes: [{ name: 'by_title', fields: { title: 1 }, unique: false, sparse: false }],
      permissions: { user: { read: true } },
      expressionPermissions: null,
      columnPermissions: null,
      rowFilters: null,
      documentCount: 0,
      schemaVersion: 1,
      indexVersion: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    await kit.row(name, '', { title: 'x' });
    const byId = await admin('GET', `/${created.body.id}`);
    const byName = await admin('GET', `/${name}`);
    expect(byId.body).toEqual(byName.body);
    expect(byId.body.documentCount).toBe(1);
    expect((await admin('GET', '')).body.items.some((t: any) => t.tableName === name)).toBe(true);

    kit.t.clock.advanceSeconds(1);
    const updated = await admin('PATCH', `/${name}`, { description: 'd', permissions: { guest: { read: true } }, expressionPermissions: { list: 'user' } });
    expect(updated.status).toBe(200);
    // §4.8: permissions replaced whole, not merged; untouched parts stay.
    expect(updated.body).toMatchObject({ description: 'd', displayName: 'CRUD', permissions: { guest: { read: true } }, expressionPermissions: { list: 'user' }, schemaVersion: 1 });
    expect(updated.body.updatedAt).not.toBe(created.body.updatedAt);

    expect((await admin('DELETE', `/${name}`)).body).toEqual({ success: true });
    expect((await admin('GET', `/${name}`)).body.code).toBe('data/table-not-found');
    expect((await kit.as('A', 'GET', `/v1/data/${name}`)).body.code).toBe('data/table-not-found');
  });

  it('accepts a bare property map as the schema (MCP M-8)', async () => {
    const res = await admin('POST', '', { tableName: tableName('bare'), schema: { title: { bsonType: 'string' }, done: 'boolean' } });
    expect(res.status).toBe(201);
    expect(res.body.schema).toEqual({ bsonType: 'object', required: [], properties: { title: { bsonType: 'string' }, done: { bsonType: 'bool' } } });
  });

  it('answers 409 data/table-already-exists for a taken name; names are case-sensitive', async () => {
    const name = tableName('dup');
    expect((await admin('POST', '', { tableName: name })).status).toBe(201);
    const again = await admin('POST', '', { tableName: name });
    expect([again.status, again.body.code]).toEqual([409, 'data/table-already-exists']);
    expect((await admin('POST', '', { tableName: name.toUpperCase() })).status).toBe(201);
  });

  it.each([
    [{}, /tableName/],
    [{ tableName: 42 }, /tableName/],
    [{ tableName: '1posts' }, /tableName/],
    [{ tableName: 'a'.repeat(65) }, /tableName/],
    [{ tableName: 'po sts' }, /tableName/],
    [{ tableName: 'users' }, /reserved/],
    [{ tableName: 'auth' }, /reserved/],
    [{ tableName: 'admin' }, /reserved/],
    [{ tableName: 'ok1', schema: { id: { type: 'string' } } }, /system field/],
    [{ tableName: 'ok1', schema: { '1x': { type: 'string' } } }, /field name/],
    [{ tableName: 'ok1', schema: { 'a.b': { type: 'string' } } }, /field name/],
    [{ tableName: 'ok1', schema: { x: { type: 'money' } } }, /unknown type/],
    [{ tableName: 'ok1', schema: { x: { type: 'string', pattern: '(a)\\1' } } }, /RE2/],
    [{ tableName: 'ok1', schema: { x: { type: 'number', minLength: 2 } } }, /strings only/],
    [{ tableName: 'ok1', schema: { x: { type: 'string', default: 3 } } }, /default must be a string/],
    [{ tableName: 'ok1', schema: { bsonType: 'object', required: ['y'], properties: { x: { type: 'string' } } } }, /not a declared field/],
    [{ tableName: 'ok1', indexes: [{ name: 'i', fields: { nope: 1 } }] }, /not a declared field/],
    [{ tableName: 'ok1', schema: { x: 'string' }, indexes: [{ name: 'i', fields: { x: 2 } }] }, /1 or -1/],
    [{ tableName: 'ok1', schema: { x: 'object' }, indexes: [{ name: 'i', fields: { x: 1 } }] }, /cannot be indexed/],
    [{ tableName: 'ok1', schema: { x: 'string' }, indexes: [{ name: 'i', fields: { x: 1 } }, { name: 'i', fields: { x: -1 } }] }, /twice/],
    [{ tableName: 'ok1', permissions: { owner: { read: true } } }, /unknown group/],
    [{ tableName: 'ok1', expressionPermissions: { read: 'user &' } }, /expressionPermissions.read/],
    [{ tableName: 'ok1', columnPermissions: { x: { read: 'users' } } }, /unknown atom/],
    [{ tableName: 'ok1', rowFilters: [{ expression: 'user', filter: { $where: 1 } }] }, /not allowed/],
    [{ tableName: 'ok1', rowFilters: [{ expression: 'user', filter: { x: { $bad: 1 } } }] }, /unknown operator/],
    // Every refusal of a field definition answers 400 with its own message (none may escape as a 500).
    [{ tableName: 'ok1', schema: 'title:string' }, /schema must be (an )?object/],
    [{ tableName: 'ok1', schema: Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`f${i}`, 'string'])) }, /at most 500 fields/],
    [{ tableName: 'ok1', schema: { bsonType: 'object', required: 'x', properties: { x: 'string' } } }, /must be an array of field names/],
    [{ tableName: 'ok1', schema: { x: 42 } }, /must be an object with a bsonType/],
    [{ tableName: 'ok1', schema: { x: { type: 'array', items: { type: 'array', items: { type: 'array', items: { type: 'array', items: { type: 'array', items: { type: 'array', items: { type: 'array', items: { type: 'array', items: { type: 'array', items: 'string' } } } } } } } } } } }, /nested too deeply/],
    [{ tableName: 'ok1', schema: { x: { type: 'number', reference: 'posts' } } }, /only string fields can be references/],
    [{ tableName: 'ok1', schema: { x: { type: 'reference', reference: '' } } }, /reference must name a table/],
    [{ tableName: 'ok1', schema: { x: { type: 'string', description: 5 } } }, /description must be a string/],
    [{ tableName: 'ok1', schema: { x: { type: 'string', maxLength: -1 } } }, /maxLength must be a non-negative integer/],
    [{ tableName: 'ok1', schema: { x: { type: 'string', minLength: 1.5 } } }, /minLength must be a non-negative integer/],
    [{ tableName: 'ok1', schema: { x: { type: 'string', pattern: 'a'.repeat(257) } } }, /at most 256 characters/],
    [{ tableName: 'ok1', schema: { x: { type: 'string', minimum: 1 } } }, /int and double only/],
    [{ tableName: 'ok1', schema: { x: { type: 'number', maximum: 'ten' } } }, /maximum must be a number/],
    [{ tableName: 'ok1', schema: { x: { type: 'object', enum: [1] } } }, /enum must be a non-empty array of scalar values/],
    [{ tableName: 'ok1', schema: { x: { type: 'string', enum: [] } } }, /enum must be a non-empty array of string values/],
    [{ tableName: 'ok1', schema: { x: { type: 'boolean', enum: [true, 'no'] } } }, /enum must be a non-empty array of boolean values/],
    [{ tableName: 'ok1', schema: { x: { type: 'string', items: 'string' } } }, /items applies to arrays only/],
    [{ tableName: 'ok1', schema: { x: { type: 'string', properties: { y: 'string' } } } }, /properties applies to objects only/],
    [{ tableName: 'ok1', schema: { x: { type: 'object', properties: { '1y': 'string' } } } }, /invalid field name/],
    [{ tableName: 'ok1', schema: { x: { type: 'object', properties: { y: 'string' }, required: ['z'] } } }, /not a declared field/],
    [{ tableName: 'ok1', schema: { x: { type: 'string', unique: 'yes' } } }, /unique must be true or false/],
    [{ tableName: 'ok1', schema: { x: { type: 'array', unique: true } } }, /cannot be unique/],
    // Object.prototype members are not types, declared fields or columns (never a 500).
    [{ tableName: 'ok1', schema: { x: { type: 'constructor' } } }, /unknown type/],
    [{ tableName: 'ok1', schema: { x: { type: 'toString' } } }, /unknown type/],
    [{ tableName: 'ok1', schema: { bsonType: 'object', required: ['toString'], properties: { x: 'string' } } }, /not a declared field/],
    [{ tableName: 'ok1', schema: { x: 'string' }, indexes: [{ name: 'i', fields: { constructor: 1 } }] }, /not a declared field/],
    [{ tableName: 'ok1', schema: { x: { type: 'array', default: JSON.parse(`${'['.repeat(33)}${']'.repeat(33)}`) } } }, /default nests arrays and objects more than 32 levels deep/],
  ])('refuses %j with 400 common/invalid-parameters', async (body, message) => {
    const res = await admin('POST', '', body);
    expect([res.status, res.body.code]).toEqual([400, 'common/invalid-parameters']);
    expect(res.body.message).toMatch(message);
  });

  it('date, boolean, object and array values survive declaring, removing and re-declaring their fields, fitting or not', async () => {
    const name = tableName('kinds');
    await admin('POST', '', { tableName: name });
    const fitting = { when: '2026-01-02T03:04:05.000Z', flag: true, off: false, meta: { a: 1, b: ['x'] }, list: [1, 'two', { three: 3 }] };
    const misfit = { when: 'next tuesday', flag: 'yes', off: 0, meta: 'plain text', list: 7 };
    const a = await kit.row(name, '', fitting);
    const b = await kit.row(name, '', misfit);
    const read = async (id: string) => (await kit.as('A', 'GET', `/v1/data/${name}/${id}`)).body;
    const expectKept = async () => {
      expect(await read(a.id)).toMatchObject(fitting);
      expect(await read(b.id)).toMatchObject(misfit);
    };
    const declared = await admin('POST', `/${name}/fields`, { fieldsToAddOrUpdate: { when: 'date', flag: 'boolean', off: 'boolean', meta: 'object', list: 'array' } });
    expect(declared.status).toBe(200);
    await expectKept();
    // The fitting values moved into typed columns: a filter on them finds only the fitting row.
    const flagged = await kit.as('A', 'GET', `/v1/data/${name}?andFilters=${encodeURIComponent(JSON.stringify({ flag: true, off: false }))}`);
    expect(flagged.body.items.map((r: any) => r.id)).toEqual([a.id]);
    expect((await admin('POST', `/${name}/fields`, { fieldsToRemove: ['when', 'flag', 'off', 'meta', 'list'] })).status).toBe(200);
    await expectKept();
    expect((await admin('POST', `/${name}/fields`, { fieldsToAddOrUpdate: { when: 'date', flag: 'boolean', off: 'boolean', meta: 'object', list: 'array' } })).status).toBe(200);
    await expectKept();
  });

  it('manages fields: add, retype, require, remove — values are kept, and a schema version is recorded each time', async () => {
    const name = tableName('fields');
    await admin('POST', '', { tableName: name, schema: { title: 'string', n: 'number' } });
    const r1 = await kit.row(name, '', { title: 'a', n: 5, color: 'red', later: 7 });
    // Declaring an undeclared field moves matching values into its column: it becomes filterable and sortable.
    const added = await admin('POST', `/${name}/fields`, { fieldsToAddOrUpdate: { later: { type: 'int' }, color: { type: 'string' } }, requiredFieldsToAdd: ['title'] });
    expect(added.status).toBe(200);
    expect(added.body.schema.required).toEqual(['title']);
    expect(added.body.schemaVersion).toBe(2);
    const filtered = await kit.as('A', 'GET', `/v1/data/${name}?andFilters=${encodeURIComponent(JSON.stringify({ later: { $gt: 6 } }))}`);
    expect(filtered.body.items.map((r: any) => r.id)).toEqual([r1.id]);
    // Retyping keeps values that do not fit (they move to the undeclared storage, §8.6).
    const retyped = await admin('POST', `/${name}/fields`, { fieldsToAddOrUpdate: { n: { type: 'string' } } });
    expect(retyped.body.schema.properties.n).toEqual({ bsonType: 'string' });
    expect((await kit.as('A', 'GET', `/v1/data/${name}/${r1.id}`)).body).toMatchObject({ title: 'a', n: 5, color: 'red', later: 7 });
    // Removing a field keeps its values (decisions.md §4).
    const removed = await admin('POST', `/${name}/fields`, { fieldsToRemove: ['color', 'title'] });
    expect(removed.body.schema).toEqual({ bsonType: 'object', required: [], properties: { n: { bsonType: 'string' }, later: { bsonType: 'int' } } });
    expect((await kit.as('A', 'GET', `/v1/data/${name}/${r1.id}`)).body).toMatchObject({ title: 'a', n: 5, color: 'red', later: 7 });
    // Re-declaring a removed field brings its values back into a column.
    await admin('POST', `/${name}/fields`, { fieldsToAddOrUpdate: { color: 'string' } });
    const byColor = await kit.as('A', 'GET', `/v1/data/${name}?andFilters=${encodeURIComponent(JSON.stringify({ color: 'red' }))}`);
    expect(byColor.body.pagination.total).toBe(1);

    const versions = await admin('GET', `/${name}/schema-versions`);
    expect(versions.body.items.map((v: any) => [v.version, v.current])).toEqual([[5, true], [4, false], [3, false], [2, false], [1, false]]);
    expect(versions.body.items[4].schema).toEqual({ bsonType: 'object', required: [], properties: { title: { bsonType: 'string' }, n: { bsonType: 'double' } } });
    expect(versions.body.items[0].createdBy).toMatch(/^key:/);
    expect(versions.body.pagination).toMatchObject({ total: 5, page: 1 });
  });

  it.each([
    [{ fieldsToRemove: ['nope'] }, /not a declared field/],
    [{ fieldsToRemove: ['title'] }, /used by index/],
    [{ requiredFieldsToAdd: ['nope'] }, /not a declared field/],
    // Object.prototype's members are no declared fields either.
    [{ requiredFieldsToAdd: ['toString'] }, /not a declared field/],
    [{ fieldsToRemove: ['constructor'] }, /not a declared field/],
    [{ fieldsToAddOrUpdate: { title: { type: 'object' } } }, /cannot be indexed/],
    [{ fieldsToAddOrUpdate: { createdAt: 'date' } }, /system field/],
  ])('refuses the field change %j', async (body, message) => {
    const name = tableName('badfields');
    await admin('POST', '', { tableName: name, schema: { title: 'string' }, indexes: [{ name: 'by_title', fields: { title: 1 } }] });
    const res = await admin('POST', `/${name}/fields`, body);
    expect([res.status, res.body.code]).toEqual([400, 'common/invalid-parameters']);
    expect(res.body.message).toMatch(message);
  });

  it('manages indexes (unique ones enforce 409; a unique index over duplicates is refused) and records index versions', async () => {
    const name = tableName('idx');
    await admin('POST', '', { tableName: name, schema: { email: 'string', n: 'int' } });
    await kit.row(name, '', { email: 'a@x', n: 1 });
    await kit.row(name, '', { email: 'a@x', n: 2 });
    const refused = await admin('POST', `/${name}/indexes`, { indexesToAddOrUpdate: [{ name: 'email_unique', fields: { email: 1 }, unique: true }] });
    expect([refused.status, refused.body.code]).toEqual([409, 'data/duplicate-value']);
    expect((await admin('GET', `/${name}`)).body.indexes).toEqual([]);
    const ok = await admin('POST', `/${name}/indexes`, { indexesToAddOrUpdate: [{ name: 'n_unique', fields: { n: -1 }, unique: true, sparse: true }, { name: 'by_owner', fields: { createdBy: 1, createdAt: -1 } }] });
    expect(ok.status).toBe(200);
    expect(ok.body.indexVersion).toBe(2);
    const dup = await kit.as('A', 'POST', `/v1/data/${name}`, { body: { n: 2 } });
    expect([dup.status, dup.body.code]).toEqual([409, 'data/duplicate-value']);
    expect((await kit.as('A', 'POST', `/v1/data/${name}`, { body: { email: 'no n' } })).status).toBe(201); // sparse: missing values do not collide
    expect((await kit.as('A', 'POST', `/v1/data/${name}`, { body: { email: 'no n either' } })).status).toBe(201);
    const dropped = await admin('POST', `/${name}/indexes`, { indexesToRemove: ['n_unique'] });
    expect(dropped.body.indexes.map((i: any) => i.name)).toEqual(['by_owner']);
    expect((await kit.as('A', 'POST', `/v1/data/${name}`, { body: { n: 2 } })).status).toBe(201);
    const versions = await admin('GET', `/${name}/index-versions`);
    expect(versions.body.items.map((v: any) => [v.version, v.indexes.length, v.current])).toEqual([[3, 1, true], [2, 2, false], [1, 0, false]]);
    expect((await admin('POST', `/${name}/indexes`, { indexesToRemove: ['nope'] })).body.code).toBe('common/invalid-parameters');
  });

  it.each([
    ['GET', ''],
    ['PATCH', ''],
    ['DELETE', ''],
    ['POST', '/fields'],
    ['POST', '/indexes'],
    ['GET', '/schema-versions'],
    ['GET', '/index-versions'],
  ])('%s an unknown table%s → 404 data/table-not-found', async (method, path) => {
    const res = await admin(method, `/no-such-table${path}`, method === 'GET' || method === 'DELETE' ? undefined : {});
    expect([res.status, res.body.code]).toEqual([404, 'data/table-not-found']);
  });

  it('answers 400 common/invalid-parameters for malformed bodies and paging on /v1/admin', async () => {
    const res = await kit.t.request('POST', '/v1/admin/tables', { key: TEST_SK, body: '{"tableName":', headers: { 'content-type': 'application/json' } });
    expect([res.status, res.body.code]).toEqual([400, 'common/invalid-parameters']);
    expect((await admin('GET', '?page=0')).body.code).toBe('common/invalid-parameters');
    expect((await admin('POST', '', { tableName: 'x', indexes: 'no' })).body.code).toBe('common/invalid-parameters');
  });
});
