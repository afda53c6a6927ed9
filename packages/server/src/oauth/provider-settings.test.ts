import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { promoteToAdmin, signUp } from '../../test/helpers/factories.js';
import { authorize, browserSignIn, startLocalProviders, uniqueIdentity } from '../../test/helpers/oauth-providers.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';

describe.each(dialects)('provider settings E2, E4, E5 (%s)', (dialect) => {
  let t: TestApp;
  let providers: Awaited<ReturnType<typeof startLocalProviders>>;

  beforeAll(async () => {
    providers = await startLocalProviders();
    // Only GitHub is seeded from the environment; Google is configured through E5 below.
    t = await createTestApp(dialect, { env: providers.github.env() });
  });
  afterAll(async () => {
    await t.close();
    await providers.stop();
  });

  it('E2 lists email, google and github with enabled/configured', async () => {
    const res = await t.request('GET', '/v1/auth/providers', { key: TEST_SK });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        { provider: 'email', enabled: true, configured: true },
        { provider: 'google', enabled: false, configured: false },
        { provider: 'github', enabled: true, configured: true },
      ],
    });
  });

  it('E4 shows env-seeded settings without the secret', async () => {
    const res = await t.request('GET', '/v1/auth/providers/oauth', { key: TEST_SK });
    expect(res.status).toBe(200);
    expect(res.body.pagination).toMatchObject({ page: 1, total: 2 });
    const github = res.body.items.find((p: any) => p.provider === 'github');
    expect(github).toEqual({
      provider: 'github',
      clientId: providers.github.clientId,
      redirectUri: 'http://localhost:8080/v1/auth/github/callback',
      scopes: ['user:email'],
      enabled: true,
      configured: true,
      clientSecretSet: true,
      source: 'env',
    });
    expect(JSON.stringify(res.body)).not.toContain(providers.github.clientSecret);
  });

  it('E5 PUT configures Google: secret sealed at rest, write-only, effective at once', async () => {
    expect((await authorize(t, 'google')).body.code).toBe('auth/oauth-not-configured');
    const env = providers.google.env();
    const res = await t.request('PUT', '/v1/auth/providers/oauth/google', {
      key: TEST_SK,
      body: { clientId: env.LATCH_GOOGLE_CLIENT_ID, clientSecret: env.LATCH_GOOGLE_CLIENT_SECRET, enabled: true },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'google', enabled: true, configured: true, clientSecretSet: true, source: 'stored', scopes: ['openid', 'email', 'profile'] });
    expect(JSON.stringify(res.body)).not.toContain(env.LATCH_GOOGLE_CLIENT_SECRET);
    const row = await t.ctx.db.selectFrom('oauth_providers').selectAll().where('provider', '=', 'google').executeTakeFirstOrThrow();
    expect(row.client_secret_sealed).toMatch(/^v1\./);
    expect(row.client_secret_sealed).not.toContain(env.LATCH_GOOGLE_CLIENT_SECRET);

    const started = await authorize(t, 'google');
    expect(started.status).toBe(200);
    expect(new URL(started.body.authorizationUrl).searchParams.get('client_id')).toBe(env.LATCH_GOOGLE_CLIENT_ID);
  });

  it('E5 PUT is partial: an omitted clientSecret keeps the stored one; redirectUri and scopes apply', async () => {
    const res = await t.request('PUT', '/v1/auth/providers/oauth/github', {
      key: TEST_SK,
      body: { redirectUri: 'http://localhost:8080/v1/auth/github/callback', scopes: ['read:user', 'user:email'] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ clientId: providers.github.clientId, clientSecretSet: true, source: 'stored', scopes: ['read:user', 'user:email'] });
    const url = new URL((await authorize(t, 'github')).body.authorizationUrl);
    expect(url.searchParams.get('scope')).toBe('read:user user:email');
    // The kept secret still works against the provider.
    providers.github.as(uniqueIdentity('after-put'));
    expect((await browserSignIn(t, 'github')).searchParams.get('isNewUser')).toBe('true');
  });

  it('env variables seed only while no row exists; E5 DELETE returns to the seed', async () => {
    expect((await t.request('PUT', '/v1/auth/providers/oauth/github', { key: TEST_SK, body: { clientId: 'replaced-id' } })).body.clientId).toBe('replaced-id');
    const get = await t.request('GET', '/v1/auth/providers/oauth/github', { key: TEST_SK });
    expect(get.body).toMatchObject({ clientId: 'replaced-id', source: 'stored' });
    const del = await t.request('DELETE', '/v1/auth/providers/oauth/github', { key: TEST_SK });
    expect(del.status).toBe(200);
    expect(del.body.message).toBeTruthy();
    expect((await t.request('GET', '/v1/auth/providers/oauth/github', { key: TEST_SK })).body).toMatchObject({ clientId: providers.github.clientId, source: 'env' });
  });

  it.each([
    ['PUT', '/v1/auth/providers/oauth/github', { redirectUri: 'not a url' }, 'auth/validation-error'],
    ['PUT', '/v1/auth/providers/oauth/github', { scopes: [] }, 'auth/validation-error'],
    ['PUT', '/v1/auth/providers/oauth/github', { enabled: 'yes' }, 'auth/validation-error'],
    ['PUT', '/v1/auth/providers/oauth/facebook', { enabled: false }, 'auth/unsupported-provider'],
    ['GET', '/v1/auth/providers/oauth/email', undefined, 'auth/unsupported-provider'],
  ])('%s %s %j → 400 %s', async (method, url, body, code) => {
    const res = await t.request(method, url, { key: TEST_SK, body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
  });

  it('enabling a provider without credentials is refused', async () => {
    await t.request('DELETE', '/v1/auth/providers/oauth/google', { key: TEST_SK });
    const res = await t.request('PUT', '/v1/auth/providers/oauth/google', { key: TEST_SK, body: { clientId: 'only-id', enabled: true } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('auth/validation-error');
  });

  it('admin only: publishable key alone 401, non-admin JWT 403, admin JWT 200', async () => {
    const user = await signUp(t);
    const anonymous = await t.request('GET', '/v1/auth/providers');
    expect(anonymous.status).toBe(401);
    const plain = await t.request('PUT', '/v1/auth/providers/oauth/github', { token: user.accessToken, body: { enabled: false } });
    expect(plain.status).toBe(403);
    expect(plain.body.code).toBe('auth/forbidden');
    await promoteToAdmin(t, user.id);
    expect((await t.request('GET', '/v1/auth/providers/oauth', { token: user.accessToken })).status).toBe(200);
  });
});
