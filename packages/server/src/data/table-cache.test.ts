import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/helpers/databases.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';

/**
 * The list path's definition cache must never serve a stale policy or schema: a change made through
 * another instance (another process on the same database) applies to the very next request.
 */
describe.each(dialects)('table definition cache across instances (%s)', (dialect) => {
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    database = dialect === 'sqlite' ? await createTestDatabase('sqlite', { sqliteFile: join(mkdtempSync(join(tmpdir(), 'latch-cache-')), 'db.sqlite') }) : await createTestDatabase('postgres');
    const shared = { url: database.url, drop: async () => {} };
    a = await createTestApp(dialect, { database: shared, env: { LATCH_RATE_DATA: '10000/60' } });
    b = await createTestApp(dialect, { database: shared, env: { LATCH_RATE_DATA: '10000/60' } });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await database.drop();
  });

  it('applies a policy change, a schema change and a deletion made elsewhere to the next request', async () => {
    expect((await b.request('POST', '/v1/admin/tables', { key: TEST_SK, body: { tableName: 'notes', schema: { n: { type: 'int' } } } })).status).toBe(201);
    await b.request('POST', '/v1/data/notes', { key: TEST_SK, body: [{ n: 1 }, { n: 2 }] });
    for (let i = 0; i < 3; i++) expect((await a.request('GET', '/v1/data/notes')).body.pagination.total).toBe(2); // cached on a

    await b.request('PATCH', '/v1/admin/tables/notes', { key: TEST_SK, body: { permissions: { guest: { read: true, list: false } } } });
    const denied = await a.request('GET', '/v1/data/notes');
    expect([denied.status, denied.body.code]).toEqual([403, 'data/permission-denied']);

    await b.request('PATCH', '/v1/admin/tables/notes', { key: TEST_SK, body: { permissions: null, rowFilters: [{ expression: 'guest', filter: { n: 2 } }] } });
    expect((await a.request('GET', '/v1/data/notes')).body.pagination.total).toBe(1);

    await b.request('POST', '/v1/admin/tables/notes/fields', { key: TEST_SK, body: { fieldsToRemove: ['n'] } });
    const afterRemoval = await a.request('GET', `/v1/data/notes?sortBy=n&sortDirection=asc&andFilters=${encodeURIComponent('{"n":{"$gte":1}}')}`);
    expect([afterRemoval.status, afterRemoval.body.items.map((r: any) => r.n)]).toEqual([200, [2]]);

    await b.request('DELETE', '/v1/admin/tables/notes', { key: TEST_SK });
    const gone = await a.request('GET', '/v1/data/notes');
    expect([gone.status, gone.body.code]).toEqual([404, 'data/table-not-found']);
  });
});
