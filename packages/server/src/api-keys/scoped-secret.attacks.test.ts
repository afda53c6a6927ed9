import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { promoteToAdmin, signUp, uniqueEmail, type SignedUpUser } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { expectErrorEnvelope } from '../../test/setup/expect-envelope.js';
import { createApiKey } from './api-keys.js';

/**
 * An operator limits a secret key to some tables (`--scopes posts:read`): it is then the admin caller of
 * /v1/data within those scopes and nothing more. Before, every other admin surface took it as the full
 * secret key: it could list and delete users, change roles, rewrite sign-in settings and drive MCP.
 */
describe.each(dialects)('a secret key with scopes is not an admin outside /v1/data (%s)', (dialect) => {
  let t: TestApp;
  let scoped: string;
  let victim: SignedUpUser;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    scoped = (await createApiKey(t.ctx, { type: 'secret', name: 'posts reader', scopes: ['posts:read'] })).key;
    victim = await signUp(t);
    const table = await t.request('POST', '/v1/admin/tables', { key: TEST_SK, body: { tableName: 'posts', schema: { title: { type: 'string' }, body: { type: 'string' } } } });
    expect(table.status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('is refused on /v1/users: list, read, role change, delete (403 user/forbidden), and the user is untouched', async () => {
    expectErrorEnvelope(await t.request('GET', '/v1/users', { key: scoped }), 403, 'user/forbidden');
    expectErrorEnvelope(await t.request('GET', `/v1/users/${victim.id}`, { key: scoped }), 403, 'user/forbidden');
    expectErrorEnvelope(await t.request('PATCH', `/v1/users/${victim.id}/role`, { key: scoped, body: { role: 'admin' } }), 403, 'user/forbidden');
    expectErrorEnvelope(await t.request('DELETE', `/v1/users/${victim.id}`, { key: scoped }), 403, 'user/forbidden');
    const row = await t.ctx.db.selectFrom('users').select(['role', 'deleted_at']).where('id', '=', victim.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ role: 'user', deleted_at: null });
  });

  it('is refused on every admin-only route it can reach without parameters (403 auth/forbidden or user/forbidden)', async () => {
    const routes = t.app.routeCatalog.filter((r) => r.auth === 'admin' && r.method === 'GET' && !r.url.includes(':'));
    expect(routes.length).toBeGreaterThan(3);
    for (const route of routes) {
      const res = await t.request('GET', route.url, { key: scoped });
      expect([route.url, res.status, res.body.code]).toEqual([route.url, 403, route.url.startsWith('/v1/users') ? 'user/forbidden' : 'auth/forbidden']);
    }
    const write = await t.request('PUT', '/v1/auth/providers/email', { key: scoped, body: { magicLinkEnabled: false } });
    expectErrorEnvelope(write, 403, 'auth/forbidden');
  });

  it('cannot invite (403 auth/forbidden), and no invitation is stored', async () => {
    const res = await t.request('POST', '/v1/auth/invitations', { key: scoped, body: { email: uniqueEmail('inv'), resourceType: 'organization', resourceId: 'default' } });
    expectErrorEnvelope(res, 403, 'auth/forbidden');
    const count = await t.ctx.db.selectFrom('invitations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('is refused by MCP, which would give it every tool', async () => {
    const res = await t.request('POST', '/mcp', {
      key: null,
      headers: { authorization: `Bearer ${scoped}`, accept: 'application/json, text/event-stream' },
      body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    });
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).toContain('auth/forbidden');
  });

  it('still does what its scopes allow on /v1/data, and nothing else there', async () => {
    expect((await t.request('GET', '/v1/data/posts', { key: scoped })).status).toBe(200);
    expectErrorEnvelope(await t.request('POST', '/v1/data/posts', { key: scoped, body: { title: 'x' } }), 403, 'data/scope-insufficient');
  });

  it('a key that may update but not read gets back what it wrote, not the rest of the record (nor may a user whose table permission is update-only)', async () => {
    const secret = await t.request('POST', '/v1/data/posts', { key: TEST_SK, body: { title: 'kept', body: 'TOP-SECRET-VALUE' } });
    const updater = (await createApiKey(t.ctx, { type: 'secret', scopes: ['posts:update'] })).key;
    expectErrorEnvelope(await t.request('GET', `/v1/data/posts/${secret.body.id}`, { key: updater }), 403, 'data/scope-insufficient');
    const empty = await t.request('PATCH', `/v1/data/posts/${secret.body.id}`, { key: updater, body: {} });
    expect(empty.status).toBe(200);
    expect(Object.keys(empty.body).sort()).toEqual(['createdAt', 'createdBy', 'id', 'updatedAt']);
    const renamed = await t.request('PATCH', `/v1/data/posts/${secret.body.id}`, { key: updater, body: { title: 'renamed' } });
    expect(renamed.body).toMatchObject({ id: secret.body.id, title: 'renamed' });
    expect(JSON.stringify(renamed.body)).not.toContain('TOP-SECRET-VALUE');
    // The same for a user whose table lets users update but not read; the secret key still sees it all.
    expect((await t.request('POST', '/v1/admin/tables', { key: TEST_SK, body: { tableName: 'drops', schema: { title: { type: 'string' }, note: { type: 'string' } }, permissions: { user: { update: true } } } })).status).toBe(201);
    const drop = await t.request('POST', '/v1/data/drops', { key: TEST_SK, body: { title: 't', note: 'TOP-SECRET-VALUE' } });
    const byUser = await t.request('PATCH', `/v1/data/drops/${drop.body.id}`, { token: victim.accessToken, body: { title: 'u' } });
    expect(byUser.status).toBe(200);
    expect(byUser.body).toMatchObject({ title: 'u' });
    expect(byUser.body.note).toBeUndefined();
    expect((await t.request('PATCH', `/v1/data/drops/${drop.body.id}`, { key: TEST_SK, body: {} })).body.note).toBe('TOP-SECRET-VALUE');
  });

  it('with an admin access token beside it, the admin user is still an admin; the unscoped secret key still is one', async () => {
    const admin = await signUp(t);
    await promoteToAdmin(t, admin.id);
    expect((await t.request('GET', '/v1/users', { key: scoped, token: admin.accessToken })).status).toBe(200);
    expect((await t.request('GET', '/v1/users', { key: TEST_SK })).status).toBe(200);
    expect((await t.request('GET', '/v1/auth/providers/email', { key: TEST_SK })).status).toBe(200);
  });
});
