import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataKit, tableName, type DataKit } from '../../test/helpers/data-tables.js';
import { dialects } from '../../test/helpers/databases.js';
import { dataShorthandUrl } from './shorthand.js';

describe('shorthand URL rewrite (§7.1, D-32)', () => {
  it.each([
    ['/v1/posts', '/v1/data/posts'],
    ['/v1/posts?limit=2&andFilters=%7B%7D', '/v1/data/posts?limit=2&andFilters=%7B%7D'],
    ['/v1/posts/abc', '/v1/data/posts/abc'],
    ['/v1/posts/spec', '/v1/data/posts/spec'],
    ['/v1/user-profiles/openapi', '/v1/data/user-profiles/openapi'],
    ['/v1/auth', '/v1/auth'],
    ['/v1/auth/me', '/v1/auth/me'],
    ['/v1/users/abc', '/v1/users/abc'],
    ['/v1/data/posts', '/v1/data/posts'],
    ['/v1/admin/tables', '/v1/admin/tables'],
    ['/v1/files/x', '/v1/files/x'],
    ['/v1/%61uth/me', '/v1/%61uth/me'], // an encoded reserved name is still reserved
    ['/v1/posts/a/b', '/v1/posts/a/b'],
    ['/v1', '/v1'],
    ['/v1/', '/v1/'],
    ['/health', '/health'],
    ['/v1/%E0%A4%A', '/v1/%E0%A4%A'],
  ])('%s → %s', (url, expected) => {
    expect(dataShorthandUrl(url)).toBe(expected);
  });
});

describe.each(dialects)('shorthand routes behave like /v1/data (%s)', (dialect) => {
  let kit: DataKit;
  beforeAll(async () => {
    kit = await createDataKit(dialect);
  });
  afterAll(async () => {
    await kit.close();
  });

  it('creates, lists, reads, updates and deletes through /v1/:tableName', async () => {
    const table = tableName('short');
    await kit.table({ tableName: table, schema: { n: { type: 'int' } }, permissions: { user: { create: true, read: true }, self: { update: true, delete: true } } });
    const created = await kit.as('U1', 'POST', `/v1/${table}`, { body: { n: 1 } });
    expect(created.status).toBe(201);
    const listed = await kit.as('U1', 'GET', `/v1/${table}?andFilters=${encodeURIComponent('{"n":1}')}`);
    expect(listed.body.items.map((r: any) => r.id)).toEqual([created.body.id]);
    expect((await kit.as('U1', 'GET', `/v1/${table}/${created.body.id}`)).body).toEqual(created.body);
    expect((await kit.as('U1', 'PATCH', `/v1/${table}/${created.body.id}`, { body: { n: 'x' } })).body.code).toBe('data/validation-error');
    expect((await kit.as('U1', 'GET', `/v1/${table}/spec`)).body.tableName).toBe(table);
    expect((await kit.as('U1', 'DELETE', `/v1/${table}/${created.body.id}`)).body).toEqual({ success: true });
    expect((await kit.as('U1', 'GET', `/v1/no-such-${table}`)).body.code).toBe('data/table-not-found');
  });

  it('never shadows other APIs', async () => {
    expect((await kit.as('U1', 'GET', '/v1/auth/me')).body.id).toBe(kit.users.U1.id);
    const unknown = await kit.t.request('GET', '/v1/auth/nope', { key: null });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'common/not-found']);
  });
});
