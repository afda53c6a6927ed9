import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signUp } from '../../test/helpers/factories.js';
import { APP_REDIRECT, authorize, browserSignIn, followAuthorize, oauthWorld, uniqueIdentity } from '../../test/helpers/oauth-providers.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';

const CLIENT_CALLBACK = 'http://localhost:3000/oauth/callback';

describe.each(dialects)('Google and GitHub sign-in against local providers (%s)', (dialect) => {
  const world = oauthWorld(dialect);

  async function me(accessToken: string) {
    const res = await world.t.request('GET', '/v1/auth/me', { token: accessToken });
    expect(res.status).toBe(200);
    return res.body;
  }

  it.each(['google', 'github'] as const)('%s: E1 + A03 creates the user, then signs the same user in', async (provider) => {
    const identity = uniqueIdentity(provider, { name: 'Grace Hopper', picture: 'https://img.test/grace.png' });
    world.providers[provider].as(identity);

    const first = await browserSignIn(world.t, provider);
    expect(first.origin + first.pathname).toBe(APP_REDIRECT);
    expect(first.searchParams.get('isNewUser')).toBe('true');
    expect(first.searchParams.get('expiresIn')).toBe('3600');
    expect(first.searchParams.get('refreshToken')).toMatch(/^[A-Za-z0-9_-]{92}$/);
    const created = await me(first.searchParams.get('accessToken')!);
    expect(created).toMatchObject({ email: identity.email, name: 'Grace Hopper', image: 'https://img.test/grace.png', role: 'user' });
    expect(created.emailVerified).not.toBeNull();

    await world.t.ctx.db.updateTable('users').set({ last_sign_in_at: 1 }).where('id', '=', created.id).execute();
    const second = await browserSignIn(world.t, provider);
    expect(second.searchParams.get('isNewUser')).toBe('false');
    expect((await me(second.searchParams.get('accessToken')!)).id).toBe(created.id);
    // The returning sign-in writes its time, its session and its audit event together.
    const audit = await world.t.ctx.db.selectFrom('audit_log').selectAll().where('user_id', '=', created.id).where('event', '=', 'user.signed_in').execute();
    expect(audit).toEqual([expect.objectContaining({ actor: 'user', details: JSON.stringify({ method: provider }) })]);
    const session = await world.t.ctx.db.selectFrom('sessions').selectAll().where('id', '=', audit[0]!.session_id!).executeTakeFirstOrThrow();
    const signedIn = await world.t.ctx.db.selectFrom('users').select('last_sign_in_at').where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(signedIn.last_sign_in_at).toBe(session.created_at);
    expect(session.user_id).toBe(created.id);

    const accounts = await world.t.ctx.db.selectFrom('accounts').selectAll().where('user_id', '=', created.id).execute();
    expect(accounts).toEqual([expect.objectContaining({ provider, provider_account_id: identity.id, email: identity.email })]);
    const password = await world.t.ctx.db.selectFrom('users').select('password_hash').where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(password.password_hash).toBeNull();
  });

  it('E1 answers an authorization URL with state, PKCE S256 and (Google) a nonce', async () => {
    const res = await authorize(world.t, 'google');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['authorizationUrl', 'expiresAt', 'state']);
    const url = new URL(res.body.authorizationUrl);
    expect(url.origin).toBe(world.providers.google.url);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: world.providers.google.clientId,
      redirect_uri: 'http://localhost:8080/v1/auth/google/callback',
      response_type: 'code',
      scope: 'openid email profile',
      state: res.body.state,
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('nonce')).toBeTruthy();
    expect(new Date(res.body.expiresAt).getTime() - world.clock.now()).toBe(10 * 60_000);
    // Only hashes and sealed values are kept server-side.
    const rows = await world.t.ctx.db.selectFrom('oauth_states').selectAll().execute();
    expect(rows.some((row) => row.state_hash === res.body.state)).toBe(false);
    expect(JSON.stringify(rows)).not.toContain(res.body.state);

    const gh = new URL((await authorize(world.t, 'github')).body.authorizationUrl);
    expect(gh.searchParams.get('scope')).toBe('user:email');
    expect(gh.searchParams.get('nonce')).toBeNull();
  });

  it('A04 with a server-issued state (app-held code) answers JSON with is_new_user', async () => {
    const identity = uniqueIdentity('app');
    world.providers.github.as(identity);
    const started = await authorize(world.t, 'github');
    const back = await followAuthorize(started.body.authorizationUrl);
    const res = await world.t.request('POST', '/v1/auth/github/callback', { body: { code: back.searchParams.get('code'), state: back.searchParams.get('state') } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600, is_new_user: true });
    expect((await me(res.body.accessToken)).email).toBe(identity.email);
    // The PKCE verifier was sent with the exchange.
    expect(world.providers.github.tokenRequests.at(-1)?.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts the client-driven bkend form: code + redirectUri (with the client\'s own PKCE verifier)', async () => {
    const identity = uniqueIdentity('spa');
    const verifier = 'v'.repeat(50);
    const code = await world.providers.github.issueCode(identity, CLIENT_CALLBACK, { codeChallenge: createHash('sha256').update(verifier).digest('base64url') });
    const res = await world.t.request('POST', '/v1/auth/github/callback', { body: { code, redirectUri: CLIENT_CALLBACK, state: crypto.randomUUID(), codeVerifier: verifier } });
    expect(res.status).toBe(200);
    expect(res.body.is_new_user).toBe(true);

    const googleCode = await world.providers.google.issueCode(uniqueIdentity('spa-g'), CLIENT_CALLBACK);
    const google = await world.t.request('POST', '/v1/auth/google/callback', { body: { code: googleCode, redirectUri: CLIENT_CALLBACK } });
    expect(google.status).toBe(200);
    expect(google.body.is_new_user).toBe(true);
  });

  it('accepts a Google ID token posted by an app (native SDK form)', async () => {
    const identity = uniqueIdentity('native');
    const idToken = await world.providers.google.idToken(identity);
    const res = await world.t.request('POST', '/v1/auth/google/callback', { body: { idToken } });
    expect(res.status).toBe(200);
    expect((await me(res.body.accessToken)).email).toBe(identity.email);
  });

  it('reads the email from userinfo when the ID token has none (same subject only)', async () => {
    const identity = uniqueIdentity('userinfo');
    world.providers.google.as(identity);
    world.providers.google.tamperNextIdToken((claims) => {
      delete claims.email;
      delete claims.email_verified;
    });
    const url = await browserSignIn(world.t, 'google');
    expect(url.searchParams.get('error')).toBeNull();
    expect((await me(url.searchParams.get('accessToken')!)).email).toBe(identity.email);
  });

  it('A03 without a server state behaves like A04 and answers JSON (no API key needed)', async () => {
    const identity = uniqueIdentity('json');
    const code = await world.providers.github.issueCode(identity, CLIENT_CALLBACK);
    const query = new URLSearchParams({ code, state: 'client-made-state', redirectUri: CLIENT_CALLBACK });
    const res = await world.t.request('GET', `/v1/auth/github/callback?${query}`, { key: null });
    expect(res.status).toBe(200);
    expect(res.body.is_new_user).toBe(true);
  });

  it('GitHub: a null display name falls back to the login', async () => {
    const identity = uniqueIdentity('anon', { name: null, login: 'octocat-42' });
    world.providers.github.as(identity);
    const url = await browserSignIn(world.t, 'github');
    expect((await me(url.searchParams.get('accessToken')!)).name).toBe('octocat-42');
  });

  it('an email that belongs to another sign-in method is 409, never an automatic link', async () => {
    const owner = await signUp(world.t);
    const identity = uniqueIdentity('taken', { email: owner.email.toUpperCase() });
    const code = await world.providers.google.issueCode(identity, CLIENT_CALLBACK);
    const res = await world.t.request('POST', '/v1/auth/google/callback', { body: { code, redirectUri: CLIENT_CALLBACK } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('auth/account-exists-different-provider');

    world.providers.github.as(uniqueIdentity('taken', { email: owner.email }));
    const url = await browserSignIn(world.t, 'github');
    expect(url.searchParams.get('error')).toBe('auth/account-exists-different-provider');
    expect(url.searchParams.get('accessToken')).toBeNull();
    const accounts = await world.t.ctx.db.selectFrom('accounts').select('provider').where('user_id', '=', owner.id).execute();
    expect(accounts.map((a) => a.provider)).toEqual(['email']);
  });

  it('a banned user is refused (403 auth/account-banned)', async () => {
    const identity = uniqueIdentity('banned');
    world.providers.google.as(identity);
    const first = await browserSignIn(world.t, 'google');
    const id = (await me(first.searchParams.get('accessToken')!)).id;
    await world.t.ctx.db.updateTable('users').set({ banned_at: world.clock.now() }).where('id', '=', id).execute();
    const again = await browserSignIn(world.t, 'google');
    expect(again.searchParams.get('error')).toBe('auth/account-banned');
  });

  it.each([
    ['GET', '/v1/auth/facebook/authorize?redirect=http%3A%2F%2Flocalhost%3A3000%2F', 'auth/unsupported-provider'],
    ['POST', '/v1/auth/facebook/callback', 'auth/unsupported-provider'],
    ['GET', '/v1/auth/apple/callback?code=x&state=y', 'auth/unsupported-provider'],
  ])('%s %s → 400 %s', async (method, url, code) => {
    const res = await world.t.request(method, url, { body: method === 'POST' ? { code: 'x', redirectUri: CLIENT_CALLBACK } : undefined, key: url.includes('callback') && method === 'GET' ? null : undefined });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
  });

  it.each([
    [{}, 'auth/validation-error'],
    [{ code: 'abc' }, 'auth/validation-error'],
    [{ mfaToken: 'x'.repeat(43) }, 'auth/validation-error'],
  ])('A04 body %j → 400 %s', async (body, code) => {
    const res = await world.t.request('POST', '/v1/auth/google/callback', { body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
  });

  it('a disabled provider answers auth/oauth-not-configured, and the change applies without restart', async () => {
    const off = await world.t.request('PUT', '/v1/auth/providers/oauth/github', { key: TEST_SK, body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    const code = await world.providers.github.issueCode(uniqueIdentity('off'), CLIENT_CALLBACK);
    for (const res of [
      await authorize(world.t, 'github'),
      await world.t.request('POST', '/v1/auth/github/callback', { body: { code, redirectUri: CLIENT_CALLBACK } }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('auth/oauth-not-configured');
    }
    const on = await world.t.request('PUT', '/v1/auth/providers/oauth/github', { key: TEST_SK, body: { enabled: true } });
    expect(on.body.enabled).toBe(true);
    expect((await authorize(world.t, 'github')).status).toBe(200);
  });
});

describe.each(dialects)('providers without configuration (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(['google', 'github'])('%s is auth/oauth-not-configured on E1, A03 and A04', async (provider) => {
    const results = [
      await authorize(t, provider),
      await t.request('POST', `/v1/auth/${provider}/callback`, { body: { code: 'x', redirectUri: CLIENT_CALLBACK } }),
      await t.request('GET', `/v1/auth/${provider}/callback?code=x&state=client&redirectUri=${encodeURIComponent(CLIENT_CALLBACK)}`, { key: null }),
    ];
    for (const res of results) {
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('auth/oauth-not-configured');
    }
  });
});
