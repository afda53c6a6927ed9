import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signUp } from '../../test/helpers/factories.js';
import { APP_REDIRECT, authorize, browserSignIn, followAuthorize, oauthWorld, uniqueIdentity } from '../../test/helpers/oauth-providers.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

const CLIENT_CALLBACK = 'http://localhost:3000/oauth/callback';

describe.each(dialects)('OAuth attacks (%s)', (dialect) => {
  const world = oauthWorld(dialect);

  /** E1 then the provider: the callback path + query the browser would open (not opened yet). */
  async function providerReturn(provider: 'google' | 'github') {
    const started = await authorize(world.t, provider);
    expect(started.status).toBe(200);
    return followAuthorize(started.body.authorizationUrl);
  }

  function openCallback(back: URL) {
    return world.t.request('GET', `${back.pathname}${back.search}`, { key: null });
  }

  async function userCountWithEmail(email: string): Promise<number> {
    const rows = await world.t.ctx.db.selectFrom('users').select('id').where('email_normalized', '=', email.toLowerCase()).execute();
    return rows.length;
  }

  function expectRefusedWithoutRedirect(res: { status: number; body: any; headers: Record<string, unknown> }, code: string) {
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
    expect(res.headers.location).toBeUndefined();
  }

  describe('state', () => {
    it('login CSRF: every redirect to the app carries the E1 state, so the app can refuse one it did not start', async () => {
      // The attacker finishes a flow of their own and sends the victim's browser to the app with its
      // tokens; an app that kept the state it asked E1 for sees a state it never issued (or none).
      const user = await signUp(world.t);
      const flows = [
        { name: 'tokens', token: undefined, link: false, expect: 'accessToken' },
        { name: 'linked', token: user.accessToken, link: true, expect: 'linked' },
      ];
      for (const flow of flows) {
        world.providers.github.as(uniqueIdentity(`csrf-${flow.name}`));
        const started = await authorize(world.t, 'github', { token: flow.token, link: flow.link });
        const back = await followAuthorize(started.body.authorizationUrl);
        const res = await openCallback(back);
        const target = new URL(String(res.headers.location));
        expect([flow.name, target.searchParams.get(flow.expect) !== null, target.searchParams.get('state')]).toEqual([flow.name, true, started.body.state]);
      }
      const denied = await authorize(world.t, 'github');
      const refused = await world.t.request('GET', `/v1/auth/github/callback?state=${denied.body.state}&error=access_denied`, { key: null });
      const target = new URL(String(refused.headers.location));
      expect(target.searchParams.get('error')).toBe('auth/invalid-oauth-code');
      expect(target.searchParams.get('state')).toBe(denied.body.state);
    });

    it('missing → 400 auth/invalid-state, nothing followed', async () => {
      expectRefusedWithoutRedirect(await world.t.request('GET', '/v1/auth/google/callback?code=abc', { key: null }), 'auth/invalid-state');
    });

    it('reused → 400 auth/invalid-state (single use), on GET and POST', async () => {
      world.providers.github.as(uniqueIdentity('reuse'));
      const back = await providerReturn('github');
      expect((await openCallback(back)).status).toBe(302);
      expectRefusedWithoutRedirect(await openCallback(back), 'auth/invalid-state');
      const post = await world.t.request('POST', '/v1/auth/github/callback', { body: { code: back.searchParams.get('code'), state: back.searchParams.get('state') } });
      expect(post.status).toBe(400);
      expect(post.body.code).toBe('auth/invalid-state');
    });

    it('expired (10 minutes) → 400 auth/invalid-state, no user created', async () => {
      const identity = uniqueIdentity('late');
      world.providers.google.as(identity);
      const back = await providerReturn('google');
      world.clock.advance(10 * 60_000 + 1);
      expectRefusedWithoutRedirect(await openCallback(back), 'auth/invalid-state');
      expect(await userCountWithEmail(identity.email!)).toBe(0);
    });

    it('from another flow (another provider) → 400 auth/invalid-state', async () => {
      const back = await providerReturn('google');
      const forged = new URLSearchParams({ code: 'whatever', state: back.searchParams.get('state')! });
      expectRefusedWithoutRedirect(await world.t.request('GET', `/v1/auth/github/callback?${forged}`, { key: null }), 'auth/invalid-state');
    });

    it('made up in the server format → 400 auth/invalid-state, never the client-driven form', async () => {
      const forged = new URLSearchParams({ code: 'x', state: `lst_${'A'.repeat(43)}`, redirectUri: CLIENT_CALLBACK });
      expectRefusedWithoutRedirect(await world.t.request('GET', `/v1/auth/github/callback?${forged}`, { key: null }), 'auth/invalid-state');
    });

    it('two callbacks racing with one state: exactly one signs in', async () => {
      world.providers.github.as(uniqueIdentity('race'));
      const back = await providerReturn('github');
      const results = await Promise.all([openCallback(back), openCallback(back), openCallback(back)]);
      expect(results.filter((r) => r.status === 302)).toHaveLength(1);
      expect(results.filter((r) => r.status === 400 && r.body.code === 'auth/invalid-state')).toHaveLength(2);
    });
  });

  describe('PKCE', () => {
    it.each(['github', 'google'] as const)('%s: a code obtained for one flow, injected into another flow, is refused (verifier mismatch)', async (provider) => {
      const identity = uniqueIdentity(`victim-${provider}`);
      world.providers[provider].as(identity);
      const victim = await providerReturn(provider);
      const attacker = await providerReturn(provider);
      const injected = new URLSearchParams({ code: victim.searchParams.get('code')!, state: attacker.searchParams.get('state')! });
      const res = await world.t.request('GET', `/v1/auth/${provider}/callback?${injected}`, { key: null });
      expect(res.status).toBe(302);
      const target = new URL(String(res.headers.location));
      expect(target.searchParams.get('error')).toBe('auth/invalid-oauth-code');
      expect(target.searchParams.get('accessToken')).toBeNull();
      expect(await userCountWithEmail(identity.email!)).toBe(0);
    });

    it('the client-driven form with a wrong codeVerifier is refused', async () => {
      const code = await world.providers.github.issueCode(uniqueIdentity('pkce'), CLIENT_CALLBACK, { codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' });
      const res = await world.t.request('POST', '/v1/auth/github/callback', { body: { code, redirectUri: CLIENT_CALLBACK, codeVerifier: 'not-the-verifier-not-the-verifier-not-the-verifier' } });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth/invalid-oauth-code');
    });

    it('a replayed code is refused by the provider → 401 auth/invalid-oauth-code', async () => {
      const code = await world.providers.github.issueCode(uniqueIdentity('replay'), CLIENT_CALLBACK);
      const body = { code, redirectUri: CLIENT_CALLBACK };
      expect((await world.t.request('POST', '/v1/auth/github/callback', { body })).status).toBe(200);
      const again = await world.t.request('POST', '/v1/auth/github/callback', { body });
      expect(again.status).toBe(401);
      expect(again.body.code).toBe('auth/invalid-oauth-code');
    });
  });

  describe('redirect allow-list', () => {
    it.each([
      'https://evil.test/cb',
      'http://localhost.evil.test:3000/cb',
      'http://localhost:3000@evil.test/cb',
      'http://user:pw@localhost:3000/cb',
      'javascript:alert(1)',
      '//evil.test/cb',
      'https://localhost:3000/cb',
      'http://localhost:8080\\@evil.test',
      'data:text/html,hi',
    ])('E1 refuses redirect=%s with 400 auth/invalid-redirect-url and stores no state', async (redirect) => {
      const before = await world.t.ctx.db.selectFrom('oauth_states').select('state_hash').execute();
      const res = await authorize(world.t, 'google', { redirect });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('auth/invalid-redirect-url');
      expect(await world.t.ctx.db.selectFrom('oauth_states').select('state_hash').execute()).toHaveLength(before.length);
    });

    it('A04 refuses a redirectUri outside the allow-list before contacting the provider', async () => {
      const code = await world.providers.github.issueCode(uniqueIdentity('open'), 'https://evil.test/cb');
      const sent = world.providers.github.tokenRequests.length;
      const res = await world.t.request('POST', '/v1/auth/github/callback', { body: { code, redirectUri: 'https://evil.test/cb' } });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('auth/invalid-redirect-url');
      expect(world.providers.github.tokenRequests.length).toBe(sent);
    });

    it('A03 JSON mode refuses it too and never redirects', async () => {
      const query = new URLSearchParams({ code: 'x', state: 'client', redirectUri: 'https://evil.test/cb' });
      expectRefusedWithoutRedirect(await world.t.request('GET', `/v1/auth/github/callback?${query}`, { key: null }), 'auth/invalid-redirect-url');
    });

    it('a server-driven callback cannot swap in another redirectUri', async () => {
      const back = await providerReturn('github');
      const res = await world.t.request('POST', '/v1/auth/github/callback', { body: { code: back.searchParams.get('code'), state: back.searchParams.get('state'), redirectUri: 'http://localhost:4000/other' } });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('auth/invalid-redirect-url');
    });

    it('the redirect-mode target is exactly the allow-listed one given to E1', async () => {
      world.providers.github.as(uniqueIdentity('target'));
      const url = await browserSignIn(world.t, 'github');
      expect(`${url.origin}${url.pathname}`).toBe(APP_REDIRECT);
    });
  });

  describe('Google ID token', () => {
    const cases: Array<[string, (claims: Record<string, unknown>, header: Record<string, unknown>) => void]> = [
      ['wrong audience', (claims) => (claims.aud = 'someone-elses-client')],
      ['several audiences without us as azp', (claims) => (claims.aud = [claims.aud, 'other-client'])],
      ['wrong issuer', (claims) => (claims.iss = 'https://evil.test')],
      ['wrong nonce', (claims) => (claims.nonce = 'not-the-nonce')],
      ['missing nonce', (claims) => delete claims.nonce],
      ['expired', (claims) => {
        claims.iat = Math.floor(world.clock.now() / 1000) - 7200;
        claims.exp = Math.floor(world.clock.now() / 1000) - 3600;
      }],
      ['signed with a key not in the JWKS', (_claims, header) => (header.kid = 'unknown-key-id')],
    ];

    it.each(cases)('%s → auth/invalid-oauth-code, no user', async (_name, tamper) => {
      const identity = uniqueIdentity('idt');
      world.providers.google.as(identity);
      world.providers.google.tamperNextIdToken(tamper);
      const url = await browserSignIn(world.t, 'google');
      expect(url.searchParams.get('error')).toBe('auth/invalid-oauth-code');
      expect(url.searchParams.get('accessToken')).toBeNull();
      expect(await userCountWithEmail(identity.email!)).toBe(0);
    });

    it('unsigned (alg "none") → auth/invalid-oauth-code', async () => {
      const identity = uniqueIdentity('none');
      world.providers.google.as(identity);
      world.providers.google.tamperNextTokenResponse((body) => {
        const [, payload] = String(body.id_token).split('.');
        body.id_token = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
      });
      const url = await browserSignIn(world.t, 'google');
      expect(url.searchParams.get('error')).toBe('auth/invalid-oauth-code');
      expect(await userCountWithEmail(identity.email!)).toBe(0);
    });

    it('with a forged signature → auth/invalid-oauth-code', async () => {
      world.providers.google.as(uniqueIdentity('forged'));
      world.providers.google.tamperNextTokenResponse((body) => {
        const [header, payload, signature] = String(body.id_token).split('.');
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
        claims.email = 'admin@victim.test';
        body.id_token = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      });
      const url = await browserSignIn(world.t, 'google');
      expect(url.searchParams.get('error')).toBe('auth/invalid-oauth-code');
      expect(await userCountWithEmail('admin@victim.test')).toBe(0);
    });

    it.each([
      ['wrong audience', { aud: 'other-client' }],
      ['wrong issuer', { iss: 'https://accounts.evil.test' }],
    ])('posted directly with %s → 401 auth/invalid-oauth-code', async (_name, overrides) => {
      const idToken = await world.providers.google.idToken(uniqueIdentity('direct'), overrides);
      const res = await world.t.request('POST', '/v1/auth/google/callback', { body: { idToken } });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth/invalid-oauth-code');
    });

    it('a directly posted ID token is accepted once (replay refused)', async () => {
      const idToken = await world.providers.google.idToken(uniqueIdentity('once'));
      expect((await world.t.request('POST', '/v1/auth/google/callback', { body: { idToken } })).status).toBe(200);
      const again = await world.t.request('POST', '/v1/auth/google/callback', { body: { idToken } });
      expect(again.status).toBe(401);
      expect(again.body.code).toBe('auth/invalid-oauth-code');
    });

    it('a replay with the signature spelled differently (the spare bits of its last character) is refused too', async () => {
      const idToken = await world.providers.google.idToken(uniqueIdentity('respelled'));
      expect((await world.t.request('POST', '/v1/auth/google/callback', { body: { idToken } })).status).toBe(200);
      const respelled = respellSignature(idToken);
      expect(respelled).not.toBe(idToken);
      const again = await world.t.request('POST', '/v1/auth/google/callback', { body: { idToken: respelled } });
      expect({ status: again.status, code: again.body.code }).toEqual({ status: 401, code: 'auth/invalid-oauth-code' });
    });
  });

  describe('unverified provider email', () => {
    it('Google email_verified=false never creates or signs into an account (not even an existing one with that email)', async () => {
      const victim = await signUp(world.t);
      world.providers.google.as(uniqueIdentity('unverified', { email: victim.email, emailVerified: false }));
      const url = await browserSignIn(world.t, 'google');
      expect(url.searchParams.get('error')).toBe('auth/validation-error');
      expect(url.searchParams.get('accessToken')).toBeNull();
      const accounts = await world.t.ctx.db.selectFrom('accounts').select('provider').where('user_id', '=', victim.id).execute();
      expect(accounts.map((a) => a.provider)).toEqual(['email']);
    });

    it('GitHub: only a verified primary address counts', async () => {
      const identity = uniqueIdentity('ghunverified', { emailVerified: false });
      const code = await world.providers.github.issueCode(identity, CLIENT_CALLBACK);
      const res = await world.t.request('POST', '/v1/auth/github/callback', { body: { code, redirectUri: CLIENT_CALLBACK } });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('auth/validation-error');
      expect(res.body.error.details.fields[0].field).toBe('email');
      expect(await userCountWithEmail(identity.email!)).toBe(0);
    });
  });

  it('linking a provider account that already belongs to another user → 409 auth/account-already-linked', async () => {
    const identity = uniqueIdentity('owned');
    world.providers.github.as(identity);
    const owner = await browserSignIn(world.t, 'github');
    expect(owner.searchParams.get('isNewUser')).toBe('true');

    const intruder = await signUp(world.t);
    const code = await world.providers.github.issueCode(identity, CLIENT_CALLBACK);
    const res = await world.t.request('POST', '/v1/auth/accounts', { token: intruder.accessToken, body: { provider: 'github', code, redirectUri: CLIENT_CALLBACK } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('auth/account-already-linked');

    world.providers.github.as(identity);
    const viaE1 = await browserSignIn(world.t, 'github', { link: true, token: intruder.accessToken });
    expect(viaE1.searchParams.get('error')).toBe('auth/account-already-linked');
    const accounts = await world.t.ctx.db.selectFrom('accounts').select('provider').where('user_id', '=', intruder.id).execute();
    expect(accounts.map((a) => a.provider)).toEqual(['email']);
  });

  it('a link flow dies with the session that started it', async () => {
    const user = await signUp(world.t);
    world.providers.google.as(uniqueIdentity('late-link'));
    const started = await authorize(world.t, 'google', { link: true, token: user.accessToken });
    const back = await followAuthorize(started.body.authorizationUrl);
    expect((await world.t.request('POST', '/v1/auth/signout', { token: user.accessToken })).status).toBe(200);
    const res = await openCallback(back);
    expect(new URL(String(res.headers.location)).searchParams.get('error')).toBe('auth/invalid-token');
    const accounts = await world.t.ctx.db.selectFrom('accounts').select('provider').where('user_id', '=', user.id).execute();
    expect(accounts.map((a) => a.provider)).toEqual(['email']);
  });

  it('E1 link=true without a JWT → 401 auth/unauthorized', async () => {
    const res = await authorize(world.t, 'google', { link: true });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth/unauthorized');
  });
});

describe.each(dialects)('provider outage (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, {
      env: {
        LATCH_GITHUB_CLIENT_ID: 'id',
        LATCH_GITHUB_CLIENT_SECRET: 'secret',
        // Nothing listens on port 9 (discard): the exchange cannot reach the provider.
        LATCH_GITHUB_TOKEN_URL: 'http://127.0.0.1:9/login/oauth/access_token',
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('an unreachable provider → 500 auth/oauth-callback-failed (no internals leaked)', async () => {
    const res = await t.request('POST', '/v1/auth/github/callback', { body: { code: 'abc', redirectUri: CLIENT_CALLBACK } });
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('auth/oauth-callback-failed');
    expect(JSON.stringify(res.body)).not.toContain('ECONNREFUSED');
  });
});

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same JWS with another spelling of its signature: a base64url string whose length is not a multiple
 * of 4 ends in a character with bits no byte uses, and decoders ignore them, so the signature still verifies.
 */
function respellSignature(jws: string): string {
  const cut = jws.lastIndexOf('.');
  const signature = jws.slice(cut + 1);
  if (signature.length % 4 === 0) throw new Error('this signature has no spare bits');
  const last = BASE64URL.indexOf(signature.at(-1)!);
  return `${jws.slice(0, cut + 1)}${signature.slice(0, -1)}${BASE64URL[last ^ 1]}`;
}
