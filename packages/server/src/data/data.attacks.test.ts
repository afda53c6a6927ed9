import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataKit, ids, tableName, type DataKit } from '../../test/helpers/data-tables.js';
import { dialects } from '../../test/helpers/databases.js';
import { TEST_SK } from '../../test/helpers/test-app.js';

const q = (params: Record<string, unknown>) =>
  new URLSearchParams(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))).toString();

describe.each(dialects)('Data API attacks (%s)', (dialect) => {
  let kit: DataKit;
  let posts: string;
  let rows: any[];
  beforeAll(async () => {
    kit = await createDataKit(dialect);
    posts = tableName('posts');
    await kit.table({
      tableName: posts,
      schema: { title: { type: 'string' }, secret: { type: 'string' }, score: { type: 'number' } },
      permissions: { user: { create: true, read: true }, guest: { read: true, create: true }, self: { update: true } },
      columnPermissions: { secret: { read: 'admin' } },
    });
    rows = [
      await kit.row(posts, kit.users.U1.id, { title: 'alpha', secret: 'needle-1', score: 1 }),
      await kit.row(posts, kit.users.U2.id, { title: 'beta', secret: 'haystack', score: 2 }),
      await kit.row(posts, '', { title: 'gamma', score: 3 }),
    ];
  });
  afterAll(async () => {
    await kit.close();
  });

  const list = (params: Record<string, unknown>, who: 'G' | 'U1' | 'U2' | 'A' = 'U1') => kit.as(who, 'GET', `/v1/data/${posts}?${q(params)}`);

  describe('SQL injection through filter values, field names, sort keys and select', () => {
    it.each([
      [{ andFilters: { title: "' OR 1=1 --" } }],
      [{ andFilters: { title: { $in: ["alpha' OR '1'='1", 'x'] } } }],
      [{ andFilters: { title: { $gt: "z'; drop table users; --" } } }],
      [{ andFilters: { "title' OR 1=1 --": 'x' } }],
      [{ andFilters: { 'score) OR (1=1': 1 } }],
      [{ orFilters: [{ "x') OR ('1'='1": 1 }] }],
      [{ search: "%' OR 1=1 --" }],
      [{ search: '%' }],
      [{ search: '_' }],
    ])('%j matches nothing and breaks nothing', async (params) => {
      const res = await list(params);
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([]);
      expect(res.body.pagination.total).toBe(0);
    });

    it.each([
      ['title; drop table users'],
      ['title desc, (select 1)'],
      ['1'],
      ['"title"'],
      ['createdBy) --'],
    ])('sortBy=%j is a field name, never SQL', async (sortBy) => {
      const res = await list({ sortBy });
      expect([200, 400]).toContain(res.status);
      if (res.status === 200) expect(ids(res)).toEqual(rows.map((r) => r.id).sort());
      // Everything still works afterwards.
      expect((await list({})).body.pagination.total).toBe(3);
      expect((await kit.t.request('GET', '/v1/auth/me', { token: kit.users.U1.token })).status).toBe(200);
    });

    it.each([['desc; drop table users'], ['asc nulls first'], ['DESC, id']])('sortDirection=%j is refused', async (sortDirection) => {
      const res = await list({ sortDirection });
      expect([res.status, res.body.code]).toEqual([400, 'data/validation-error']);
    });

    it('select cannot name columns that are not fields, nor re-include hidden ones', async () => {
      const res = await list({ select: '*,secret,password_hash,created_by,extra,f_00000001' });
      expect(res.status).toBe(200);
      for (const item of res.body.items) expect(Object.keys(item).sort()).toEqual(['createdAt', 'createdBy', 'id', 'updatedAt']);
    });
  });

  describe('operator injection', () => {
    it.each([
      [{ andFilters: { $where: 'sleep(10)' } }],
      [{ andFilters: { $or: [{ title: 'alpha' }, { title: 'beta' }] } }],
      [{ andFilters: { $expr: { $eq: [1, 1] } } }],
      [{ andFilters: { title: { $where: '1' } } }],
      [{ andFilters: { title: { $regex: '(a+)+\\1' } } }],
      [{ andFilters: { title: { $regex: '(?<=a)b' } } }],
      [{ andFilters: { title: { $in: Array.from({ length: 501 }, (_, i) => `v${i}`) } } }],
      [{ andFilters: { title: { $eq: { $ne: null } } } }],
      [{ andFilters: { title: { $gt: { $lt: 1 } } } }],
      [{ andFilters: { createdAt: { $gt: 'not a date' } } }],
      [{ andFilters: '{"title":' }],
      [{ andFilters: '[1,2]' }],
    ])('%j → 400 data/validation-error', async (params) => {
      const res = await list(params);
      expect([res.status, res.body.code]).toEqual([400, 'data/validation-error']);
    });

    it('a catastrophic-backtracking pattern runs in linear time (RE2)', async () => {
      await kit.row(posts, kit.users.U1.id, { title: `${'a'.repeat(5000)}!` });
      const started = Date.now();
      const res = await list({ andFilters: { title: { $regex: '^(a|a)*$' } } }, 'A');
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });

  describe('columns the requester cannot read (D-31)', () => {
    it.each([
      [{ andFilters: { secret: 'needle-1' } }],
      [{ andFilters: { secret: 'nothing-like-it' } }],
      [{ andFilters: { 'secret.x': { $exists: false } } }],
      [{ orFilters: { secret: { $regex: '^n' } } }],
      [{ orFilters: [{ title: 'alpha' }, { secret: { $gt: 'm' } }] }],
      [{ sortBy: 'secret' }],
      [{ search: 'needle', searchType: 'secret' }],
    ])('%j → 403, whatever the hidden values are (no count or order side channel)', async (params) => {
      const res = await list(params);
      expect([res.status, res.body.code]).toEqual([403, 'data/permission-denied']);
      expect(res.body).not.toHaveProperty('pagination');
    });

    it('search without searchType skips hidden fields', async () => {
      const res = await list({ search: 'needle' });
      expect(res.body.pagination.total).toBe(0);
      expect((await list({ search: 'needle' }, 'A')).body.pagination.total).toBe(1);
    });

    it('hidden fields are absent from every body, including create and update responses', async () => {
      const created = await kit.as('U1', 'POST', `/v1/data/${posts}`, { body: { title: 'mine', secret: 's3cr3t' } });
      expect(created.status).toBe(201);
      expect(created.body).not.toHaveProperty('secret');
      const updated = await kit.as('U1', 'PATCH', `/v1/data/${posts}/${created.body.id}`, { body: { title: 'mine 2' } });
      expect(updated.status).toBe(200);
      expect(updated.body).not.toHaveProperty('secret');
      const read = await kit.as('A', 'GET', `/v1/data/${posts}/${created.body.id}`);
      expect(read.body.secret).toBe('s3cr3t');
    });
  });

  describe('system fields cannot be forged', () => {
    it('createdBy and id in a create body are ignored for non-admins (D-26)', async () => {
      const res = await kit.as('U2', 'POST', `/v1/data/${posts}`, { body: { title: 'forged', createdBy: kit.users.U1.id, id: 'aaaaaaaaaaaaaaaaaaaaaaaa', createdAt: '2000-01-01T00:00:00.000Z', _id: 'x' } });
      expect(res.status).toBe(201);
      expect(res.body.createdBy).toBe(kit.users.U2.id);
      expect(res.body.id).not.toBe('aaaaaaaaaaaaaaaaaaaaaaaa');
      expect(res.body.createdAt).not.toBe('2000-01-01T00:00:00.000Z');
      expect(res.body).not.toHaveProperty('_id');
    });

    it('a guest cannot claim a row for a user', async () => {
      const res = await kit.as('G', 'POST', `/v1/data/${posts}`, { body: { title: 'g', createdBy: kit.users.U1.id } });
      expect(res.status).toBe(201);
      expect(res.body.createdBy).toBe('');
    });

    it('an update cannot move a row to another owner or change its id', async () => {
      const own = await kit.as('U2', 'POST', `/v1/data/${posts}`, { body: { title: 'move me' } });
      const res = await kit.as('U2', 'PATCH', `/v1/data/${posts}/${own.body.id}`, { body: { createdBy: kit.users.U1.id, id: 'bbbbbbbbbbbbbbbbbbbbbbbb', title: 'moved?' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: own.body.id, createdBy: kit.users.U2.id, title: 'moved?' });
      const u1 = await kit.as('U1', 'PATCH', `/v1/data/${posts}/${own.body.id}`, { body: { title: 'took it' } });
      expect([u1.status, u1.body.code]).toEqual([403, 'data/permission-denied']);
    });

    it('prototype-poisoning keys are refused', async () => {
      const res = await kit.t.request('POST', `/v1/data/${posts}`, { token: kit.users.U1.token, body: '{"title":"p","__proto__":{"admin":true}}', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
    });
  });

  describe('guest rows never match self', () => {
    it('a row created by a guest (createdBy "") is nobody\'s own row', async () => {
      const table = tableName('notes');
      await kit.table({ tableName: table, permissions: { guest: { create: true }, self: { read: true, update: true, delete: true } } });
      const guestRow = await kit.as('G', 'POST', `/v1/data/${table}`, { body: { text: 'anonymous' } });
      expect([guestRow.status, guestRow.body.createdBy]).toEqual([201, '']);
      for (const who of ['U1', 'R'] as const) {
        const listed = await kit.as(who, 'GET', `/v1/data/${table}`);
        expect([listed.status, listed.body.pagination.total]).toEqual([200, 0]);
        for (const [method, body] of [['GET'], ['PATCH', { text: 'x' }], ['DELETE']] as const) {
          const res = await kit.as(who, method, `/v1/data/${table}/${guestRow.body.id}`, { body });
          expect([who, method, res.status]).toEqual([who, method, 403]);
        }
      }
      const guest = await kit.as('G', 'GET', `/v1/data/${table}/${guestRow.body.id}`);
      expect([guest.status, guest.body.code]).toEqual([403, 'data/permission-denied']);
      const filtered = await kit.as('U1', 'GET', `/v1/data/${table}?${q({ andFilters: { createdBy: '' } })}`);
      expect(filtered.body.pagination.total).toBe(0);
    });
  });

  describe('invalid tokens are never guest access (D-37)', () => {
    it.each([
      ['a malformed token', 'not-a-jwt', 'auth/invalid-token'],
      ['a forged signature', 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl', 'auth/invalid-token'],
    ])('%s on list and create → 401', async (_label, token, code) => {
      for (const [method, body] of [['GET'], ['POST', { title: 'x' }]] as const) {
        const res = await kit.t.request(method, `/v1/data/${posts}`, { token, body });
        expect([res.status, res.body.code]).toEqual([401, code]);
      }
    });
  });

  describe('system tables', () => {
    it('a publishable key cannot reach an unconfigured _ table, by any operation', async () => {
      const table = tableName('_secrets');
      await kit.table({ tableName: table });
      const row = await kit.row(table, '', { token: 'x' });
      for (const who of ['G', 'U1', 'R'] as const) {
        for (const [method, path, body] of [
          ['GET', ''],
          ['GET', `/${row.id}`],
          ['GET', '/spec'],
          ['GET', '/openapi'],
          ['POST', '', { a: 1 }],
          ['PATCH', `/${row.id}`, { a: 1 }],
          ['DELETE', `/${row.id}`],
        ] as const) {
          const res = await kit.as(who, method, `/v1/data/${table}${path}`, { body });
          expect([who, method, path, res.status, res.body.code]).toEqual([who, method, path, 403, 'data/system-table-access']);
        }
      }
      // The admin (secret key, or an admin JWT) still reaches it (§6 #3).
      expect((await kit.as('A', 'GET', `/v1/data/${table}`)).status).toBe(200);
      expect((await kit.as('ADM', 'GET', `/v1/data/${table}`)).status).toBe(200);
    });

    it.each(['users', 'accounts', 'sessions', 'files'])('the built-in %s table is not reachable through the Data API', async (name) => {
      const res = await kit.as('U1', 'GET', `/v1/data/${name}`);
      expect([res.status, res.body.code]).toEqual([403, 'data/system-table-access']);
      const admin = await kit.as('A', 'GET', `/v1/data/${name}`);
      expect([admin.status, admin.body.code]).toEqual([404, 'data/table-not-found']);
      expect(JSON.stringify(admin.body)).not.toMatch(/argon2|password/);
    });

    it('a scoped key is refused before the admin bypass and before the table lookup', async () => {
      const key = await kit.key('secret', [`${posts}:read`]);
      const res = await kit.t.request('DELETE', `/v1/data/${posts}/${rows[0].id}`, { key });
      expect([res.status, res.body.code]).toEqual([403, 'data/scope-insufficient']);
      expect(res.body.message).toBe(`API Key scope does not include ${posts}:delete`);
      const unknown = await kit.t.request('GET', '/v1/data/no-such-table', { key });
      expect([unknown.status, unknown.body.code]).toEqual([403, 'data/scope-insufficient']);
    });
  });

  describe('concurrency', () => {
    it('concurrent partial updates of one row lose nothing', async () => {
      const table = tableName('race');
      await kit.table({ tableName: table, permissions: { user: { create: true, read: true }, self: { update: true } } });
      const row = await kit.as('U1', 'POST', `/v1/data/${table}`, { body: { start: true } });
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => kit.as('U1', 'PATCH', `/v1/data/${table}/${row.body.id}`, { body: { [`k${i}`]: i } })));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      const final = await kit.as('U1', 'GET', `/v1/data/${table}/${row.body.id}`);
      for (let i = 0; i < 20; i++) expect(final.body[`k${i}`]).toBe(i);
    });

    it('writes racing a schema change either land before or after it, never half-way', async () => {
      const table = tableName('ddlrace');
      await kit.table({ tableName: table, schema: { a: { type: 'string' } } });
      const writes = Array.from({ length: 20 }, (_, i) => kit.as('A', 'POST', `/v1/data/${table}`, { body: { a: `v${i}`, b: i } }));
      const change = kit.t.request('POST', `/v1/admin/tables/${table}/fields`, { key: TEST_SK, body: { fieldsToAddOrUpdate: { b: { type: 'int' } }, fieldsToRemove: ['a'] } });
      const [changed, ...created] = await Promise.all([change, ...writes]);
      expect(changed.status).toBe(200);
      expect(created.map((r) => r.status)).toEqual(Array(20).fill(201));
      const all = await kit.as('A', 'GET', `/v1/data/${table}?limit=100&sortBy=b&sortDirection=asc`);
      expect(all.body.items.map((r: any) => [r.a, r.b])).toEqual(Array.from({ length: 20 }, (_, i) => [`v${i}`, i]));
      const filtered = await kit.as('A', 'GET', `/v1/data/${table}?andFilters=${encodeURIComponent('{"b":{"$gte":10}}')}`);
      expect(filtered.body.pagination.total).toBe(10);
    });
  });

  describe('deeply nested values (SQLite JSON fails whole queries past 1000 levels; Latch stops at 32)', () => {
    const nested = (levels: number, leaf: unknown = 'leaf') => {
      let value: unknown = leaf;
      for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { n: value };
      return value;
    };
    let table: string;
    let mine: any;
    beforeAll(async () => {
      table = tableName('deep');
      await kit.table({
        tableName: table,
        schema: { meta: { type: 'object' }, list: { type: 'array' } },
        permissions: { user: { create: true, read: true }, self: { update: true } },
        rowFilters: [{ expression: 'user', filter: { status: 'published' } }],
      });
      mine = await kit.as('U1', 'POST', `/v1/data/${table}`, { body: { status: 'published', mood: 'calm' } });
    });

    it.each([
      ['an undeclared field', 'deep'],
      ['a declared object field', 'meta'],
      ['a declared array field', 'list'],
    ])('33 levels in %s are refused on create, batch create and update with 400 data/validation-error; nothing is written', async (_label, field) => {
      const value = field === 'meta' ? { n: nested(32) } : field === 'list' ? [nested(32)] : nested(33);
      const writes = [
        ['POST', `/v1/data/${table}`, { status: 'published', [field]: value }, field],
        ['POST', `/v1/data/${table}`, [{ status: 'published' }, { status: 'published', [field]: value }], `[1].${field}`],
        ['PATCH', `/v1/data/${table}/${mine.body.id}`, { mood: 'changed', [field]: value }, field],
      ] as const;
      for (const [method, url, body, path] of writes) {
        const res = await kit.as('U1', method, url, { body });
        expect([method, res.status, res.body.code]).toEqual([method, 400, 'data/validation-error']);
        expect(res.body.error.details.fields).toEqual([{ field: path, message: 'nests arrays and objects more than 32 levels deep' }]);
      }
      const all = await kit.as('A', 'GET', `/v1/data/${table}`);
      expect(all.body.items.map((r: any) => [r.id, r.mood])).toEqual([[mine.body.id, 'calm']]);
    });

    it('32 levels are stored, and filters, sorts and row-filtered lists keep working on both dialects', async () => {
      const created = await kit.as('U2', 'POST', `/v1/data/${table}`, { body: { status: 'published', deep: nested(32), meta: { n: nested(31) }, list: [nested(31)] } });
      expect(created.status).toBe(201);
      expect(created.body.deep).toEqual(nested(32));
      const listed = await kit.as('U1', 'GET', `/v1/data/${table}?${q({ andFilters: { mood: 'calm' }, sortBy: 'deep' })}`);
      expect([listed.status, listed.body.pagination.total]).toEqual([200, 1]);
      const own = await kit.as('U2', 'GET', `/v1/data/${table}`);
      expect([own.status, own.body.pagination.total]).toEqual([200, 2]);
      await kit.as('A', 'DELETE', `/v1/data/${table}/${created.body.id}`);
    });

    it('a body nested 20,000 levels deep is 400 data/validation-error, not a stack overflow (500)', async () => {
      const depth = 20_000;
      const payload = `{"x":${'['.repeat(depth)}1${']'.repeat(depth)}}`;
      const res = await kit.t.request('POST', `/v1/data/${table}`, { token: kit.users.U1.token, body: payload, headers: { 'content-type': 'application/json' } });
      expect([res.status, res.body.code]).toEqual([400, 'data/validation-error']);
      const patched = await kit.t.request('PATCH', `/v1/data/${table}/${mine.body.id}`, { token: kit.users.U1.token, body: payload, headers: { 'content-type': 'application/json' } });
      expect([patched.status, patched.body.code]).toEqual([400, 'data/validation-error']);
    });
  });

  describe('NUL characters that only appear once filter JSON is parsed (a 500 on PostgreSQL before)', () => {
    it.each([
      ['{"title":"a\\u0000b"}'],
      ['{"title":{"$in":["x","\\u0000"]}}'],
      ['{"mood":"\\u0000"}'],
      ['{"title":{"$regex":"a\\u0000"}}'],
      ['{"title":{"$gt":"\\u0000"}}'],
      ['{"ti\\u0000tle":"a"}'],
      ['{"title":"\\ud800"}'],
    ])('andFilters=%s → 400 data/validation-error', async (andFilters) => {
      const res = await list({ andFilters });
      expect([res.status, res.body.code]).toEqual([400, 'data/validation-error']);
      expect(res.body.message).toMatch(/andFilters.* must not contain NUL characters or unpaired surrogates/);
    });

    it('orFilters too, object or array form', async () => {
      for (const orFilters of ['{"title":"\\u0000"}', '[{"title":"a"},{"score":{"$in":[1,"\\u0000"]}}]']) {
        const res = await list({ orFilters });
        expect([res.status, res.body.code]).toEqual([400, 'data/validation-error']);
      }
    });

    it('a NUL escape in a body is refused at any depth, not only the first 64 levels', async () => {
      let value: unknown = 'a\u0000b';
      for (let i = 0; i < 70; i++) value = { n: value };
      const res = await kit.t.request('POST', `/v1/data/${posts}`, { token: kit.users.U1.token, body: JSON.stringify({ title: 'deep', nested: value }), headers: { 'content-type': 'application/json' } });
      expect([res.status, res.body.code]).toEqual([400, 'data/validation-error']);
      expect(res.body.message).toMatch(/must not contain NUL/);
    });
  });

  describe('field names that are Object.prototype members are ordinary field names', () => {
    const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];

    it.each(NAMES)('an undeclared field %s is stored, read, filtered, sorted, updated and cleared', async (name) => {
      const table = tableName('proto');
      await kit.table({ tableName: table, permissions: { user: { create: true, read: true }, self: { update: true } } });
      const created = await kit.as('U1', 'POST', `/v1/data/${table}`, { body: { [name]: 'v1' } });
      expect([created.status, created.body[name]]).toEqual([201, 'v1']);
      await kit.as('U1', 'POST', `/v1/data/${table}`, { body: { other: 1 } });
      const read = await kit.as('U1', 'GET', `/v1/data/${table}/${created.body.id}`);
      expect(Object.hasOwn(read.body, name) && read.body[name]).toBe('v1');
      for (const params of [{ andFilters: { [name]: 'v1' } }, { andFilters: { [name]: { $exists: true } } }, { orFilters: [{ [name]: { $regex: '^v' } }] }]) {
        const res = await kit.as('U1', 'GET', `/v1/data/${table}?${q(params)}`);
        expect([res.status, res.body.pagination?.total]).toEqual([200, 1]);
      }
      const sorted = await kit.as('U1', 'GET', `/v1/data/${table}?${q({ sortBy: name, sortDirection: 'asc' })}`);
      expect([sorted.status, sorted.body.items.at(-1)?.id]).toEqual([200, created.body.id]);
      const patched = await kit.as('U1', 'PATCH', `/v1/data/${table}/${created.body.id}`, { body: { [name]: 'v2' } });
      expect([patched.status, patched.body[name]]).toEqual([200, 'v2']);
      const cleared = await kit.as('U1', 'PATCH', `/v1/data/${table}/${created.body.id}`, { body: { [name]: null } });
      expect([cleared.status, Object.hasOwn(cleared.body, name)]).toEqual([200, false]);
      expect((await kit.as('U1', 'GET', `/v1/data/${table}?${q({ andFilters: { [name]: { $exists: true } } })}`)).body.pagination.total).toBe(0);
    });

    it('declared fields with such names: defaults, required fields, nested object children, filters and sorts work', async () => {
      const table = tableName('protodecl');
      await kit.table({
        tableName: table,
        schema: {
          bsonType: 'object',
          required: ['valueOf'],
          properties: { valueOf: { type: 'int' }, toString: { type: 'string', default: 'd' }, meta: { type: 'object', properties: { constructor: { type: 'string' }, hasOwnProperty: { type: 'bool' } }, required: ['hasOwnProperty'] } },
        },
        permissions: { user: { create: true, read: true }, self: { update: true } },
      });
      const missing = await kit.as('U1', 'POST', `/v1/data/${table}`, { body: {} });
      expect([missing.status, missing.body.error.details.fields]).toEqual([400, [{ field: 'valueOf', message: 'is required' }]]);
      const nestedMissing = await kit.as('U1', 'POST', `/v1/data/${table}`, { body: { valueOf: 1, meta: {} } });
      expect([nestedMissing.status, nestedMissing.body.error.details.fields]).toEqual([400, [{ field: 'meta.hasOwnProperty', message: 'is required' }]]);
      const created = await kit.as('U1', 'POST', `/v1/data/${table}`, { body: { valueOf: 1, meta: { hasOwnProperty: true } } });
      expect([created.status, created.body.toString, created.body.valueOf]).toEqual([201, 'd', 1]);
      const patched = await kit.as('U1', 'PATCH', `/v1/data/${table}/${created.body.id}`, { body: { toString: 'e' } });
      expect([patched.status, patched.body.toString]).toEqual([200, 'e']);
      const filtered = await kit.as('U1', 'GET', `/v1/data/${table}?${q({ andFilters: { valueOf: { $gte: 1 }, toString: 'e' }, sortBy: 'valueOf' })}`);
      expect([filtered.status, filtered.body.pagination.total]).toEqual([200, 1]);
    });

    it.each([
      [{ andFilters: '{"__proto__":"x"}' }],
      [{ andFilters: '{"a.__proto__":"x"}' }],
      [{ orFilters: '[{"__proto__":1}]' }],
      [{ sortBy: '__proto__' }],
      [{ search: 'a', searchType: '__proto__' }],
    ])('__proto__, which no write can store (the JSON body parser refuses it), is refused like other invalid names: %j → 400', async (params) => {
      const res = await list(params);
      expect([res.status, res.body.code]).toEqual([400, 'data/validation-error']);
    });
  });

  describe('all-or-nothing writes', () => {
    it('a batch with one invalid item writes nothing', async () => {
      const table = tableName('batch');
      await kit.table({ tableName: table, schema: { n: { type: 'int' }, code: { type: 'string', unique: true } } });
      const bad = await kit.as('A', 'POST', `/v1/data/${table}`, { body: [{ n: 1, code: 'a' }, { n: 2, code: 'b' }, { n: 'three', code: 'c' }] });
      expect([bad.status, bad.body.code]).toEqual([400, 'data/validation-error']);
      expect(bad.body.message).toContain('[2].n');
      const dup = await kit.as('A', 'POST', `/v1/data/${table}`, { body: [{ n: 1, code: 'a' }, { n: 2, code: 'a' }] });
      expect([dup.status, dup.body.code]).toEqual([409, 'data/duplicate-value']);
      expect((await kit.as('A', 'GET', `/v1/data/${table}`)).body.pagination.total).toBe(0);
    });
  });
});
