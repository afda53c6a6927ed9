import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, TEST_PK, type TestApp } from '../../test/helpers/test-app.js';
import { expectErrorEnvelope } from '../../test/setup/expect-envelope.js';
import { sha256Hex } from '../crypto/digest.js';
import { createApiKey, listKeys, revokeKey } from './api-keys.js';

const signUpBody = () => ({ method: 'password', email: uniqueEmail('key'), password: STRONG_PASSWORD, name: 'Key Test' });

describe.each(dialects)('API keys (data-and-rls.md §2) on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(['publishable', 'secret'] as const)('creates a %s key: prefix + 64 lowercase hex, only its SHA-256 stored', async (type) => {
    const { key, record } = await createApiKey(t.ctx, { type, name: `my-${type}` });
    expect(key).toMatch(type === 'publishable' ? /^pk_[0-9a-f]{64}$/ : /^sk_[0-9a-f]{64}$/);
    const row = await t.ctx.db.selectFrom('api_keys').selectAll().where('id', '=', record.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(sha256Hex(key));
    expect(row.display_prefix).toBe(key.slice(0, 11));
    expect(JSON.stringify(row)).not.toContain(key.slice(11));
    expect(record).toMatchObject({ name: `my-${type}`, type, prefix: key.slice(0, 11), revokedAt: null, expiresAt: null, lastUsedAt: null });
    expect(record).not.toHaveProperty('keyHash');
  });

  it('makes a fresh key usable at once, both types', async () => {
    for (const type of ['publishable', 'secret'] as const) {
      const { key } = await createApiKey(t.ctx, { type });
      const res = await t.request('POST', '/v1/auth/email/signup', { key, body: signUpBody() });
      expect(res.status).toBe(201);
    }
  });

  it('gives every key a distinct value', async () => {
    const keys = await Promise.all(Array.from({ length: 20 }, () => createApiKey(t.ctx, { type: 'publishable' })));
    expect(new Set(keys.map((k) => k.key)).size).toBe(20);
  });

  describe('verification in the order of §2.4', () => {
    let revoked: string;
    let expired: string;
    beforeAll(async () => {
      revoked = (await createApiKey(t.ctx, { type: 'publishable' })).key;
      await revokeKey(t.ctx, revoked.slice(0, 11));
      expired = (await createApiKey(t.ctx, { type: 'secret', expiresInDays: 1 })).key;
    });

    it.each([
      ['missing', () => null, 'auth/unauthorized', /required/],
      ['empty', () => '', 'auth/unauthorized', /required/],
      ['too short', () => 'pk_123', 'auth/invalid-token-format', /malformed/],
      ['63 hex', () => `pk_${'a'.repeat(63)}`, 'auth/invalid-token-format', /malformed/],
      ['65 hex', () => `pk_${'a'.repeat(65)}`, 'auth/invalid-token-format', /malformed/],
      ['not hex', () => `pk_${'g'.repeat(64)}`, 'auth/invalid-token-format', /malformed/],
      ['unknown prefix', () => `xk_${'a'.repeat(64)}`, 'auth/invalid-token-format', /malformed/],
      ['upper-case prefix', () => `PK_${'a'.repeat(64)}`, 'auth/invalid-token-format', /malformed/],
      ['two keys in one header', () => `${TEST_PK}, ${TEST_PK}`, 'auth/invalid-token-format', /malformed/],
      ['a JWT', () => 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', 'auth/invalid-token-format', /malformed/],
      ['unknown', () => `pk_${'0'.repeat(64)}`, 'auth/invalid-token', /not valid/],
      ['revoked', () => revoked, 'auth/invalid-token', /revoked/],
    ])('%s key → 401 %s', async (_name, key, code, message) => {
      const res = await t.request('POST', '/v1/auth/email/signup', { key: key(), body: signUpBody() });
      expectErrorEnvelope(res, 401, code);
      expect(res.body.message).toMatch(message);
    });

    it('an expired key → 401 auth/invalid-token (message says expired), valid until the last millisecond', async () => {
      t.clock.advance(86_400_000 - 1);
      expect((await t.request('POST', '/v1/auth/email/signup', { key: expired, body: signUpBody() })).status).toBe(201);
      t.clock.advance(1);
      const res = await t.request('POST', '/v1/auth/email/signup', { key: expired, body: signUpBody() });
      expectErrorEnvelope(res, 401, 'auth/invalid-token');
      expect(res.body.message).toMatch(/expired/);
    });

    it('checks the key before the bearer token and before the body (401 before 400)', async () => {
      const badKeyBadToken = await t.request('GET', '/v1/auth/me', { key: 'pk_bad', token: 'not-a-jwt' });
      expectErrorEnvelope(badKeyBadToken, 401, 'auth/invalid-token-format');
      const noKeyBadBody = await t.request('POST', '/v1/auth/email/signup', { key: null, body: '{oops', headers: { 'content-type': 'application/json' } });
      expectErrorEnvelope(noKeyBadBody, 401, 'auth/unauthorized');
      const noKeyWrongType = await t.request('POST', '/v1/auth/email/signup', { key: null, body: 'x', headers: { 'content-type': 'text/plain' } });
      expectErrorEnvelope(noKeyWrongType, 401, 'auth/unauthorized');
    });
  });

  it('revocation takes effect at once on the same instance, even for a key just used (cached)', async () => {
    const { key, record } = await createApiKey(t.ctx, { type: 'secret' });
    expect((await t.request('POST', '/v1/auth/email/signup', { key, body: signUpBody() })).status).toBe(201);
    expect(await revokeKey(t.ctx, record.id)).toBe(1);
    const res = await t.request('POST', '/v1/auth/email/signup', { key, body: signUpBody() });
    expectErrorEnvelope(res, 401, 'auth/invalid-token');
    expect(await revokeKey(t.ctx, record.id)).toBe(0);
  });

  it('records last use at most once a minute', async () => {
    const { key, record } = await createApiKey(t.ctx, { type: 'publishable' });
    const lastUsed = async () => (await listKeys(t.ctx)).find((k) => k.id === record.id)!.lastUsedAt;
    const first = t.clock.now();
    await t.request('POST', '/v1/auth/refresh', { key, body: { refreshToken: 'x' } });
    await expect.poll(lastUsed).toBe(new Date(first).toISOString());
    t.clock.advanceSeconds(30);
    await t.request('POST', '/v1/auth/refresh', { key, body: { refreshToken: 'x' } });
    t.clock.advanceSeconds(31);
    const third = t.clock.now();
    await t.request('POST', '/v1/auth/refresh', { key, body: { refreshToken: 'x' } });
    await expect.poll(lastUsed).toBe(new Date(third).toISOString());
  });

  it('refuses an empty scope list (it would read as "nothing allowed")', async () => {
    await expect(createApiKey(t.ctx, { type: 'secret', scopes: [] })).rejects.toMatchObject({ code: 'common/invalid-parameters' });
  });

  it('requires a key on every /v1 route except the two of auth-api.md §1.3', async () => {
    const routes = t.app.routeCatalog.filter((r) => r.url.startsWith('/v1/') && r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThan(5);
    const open: string[] = [];
    for (const route of routes) {
      const url = route.url.replace(/:(\w+)/g, 'x');
      const res = await t.request(route.method, url, { key: null });
      if (route.auth === 'none') {
        open.push(`${route.method} ${route.url}`);
        continue;
      }
      expect({ route: `${route.method} ${route.url}`, status: res.status, code: res.body.code }).toEqual({ route: `${route.method} ${route.url}`, status: 401, code: 'auth/unauthorized' });
    }
    for (const route of open) expect(['GET /v1/auth/signup/email/confirm', 'GET /v1/auth/:provider/callback']).toContain(route);
  });
});

describe.each(dialects)('LATCH_REQUIRE_API_KEY=false (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: { LATCH_REQUIRE_API_KEY: 'false' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('treats a request without a key as the publishable key', async () => {
    const res = await t.request('POST', '/v1/auth/email/signup', { key: null, body: signUpBody() });
    expect(res.status).toBe(201);
    const me = await t.request('GET', '/v1/auth/me', { key: null, token: res.body.accessToken });
    expect(me.status).toBe(200);
  });

  it('still refuses a key that is sent and wrong (never a silent downgrade)', async () => {
    expectErrorEnvelope(await t.request('POST', '/v1/auth/email/signup', { key: 'pk_bad', body: signUpBody() }), 401, 'auth/invalid-token-format');
    expectErrorEnvelope(await t.request('POST', '/v1/auth/email/signup', { key: `sk_${'9'.repeat(64)}`, body: signUpBody() }), 401, 'auth/invalid-token');
  });

  it('does not make a key-less caller an admin', async () => {
    const admin = t.app.routeCatalog.find((r) => r.auth === 'admin' && r.method === 'GET' && !r.url.includes(':'));
    if (!admin) {
      console.warn('[api-keys.test] no parameter-free GET admin route registered yet: admin check skipped');
      return;
    }
    const res = await t.request('GET', admin.url, { key: null });
    expect(res.status).toBe(401);
    expect(['auth/unauthorized', 'user/unauthorized']).toContain(res.body.code);
  });

  it('still needs a token on user routes', async () => {
    expectErrorEnvelope(await t.request('GET', '/v1/auth/me', { key: null }), 401, 'auth/unauthorized');
  });
});
