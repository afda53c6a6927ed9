import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/helpers/clock.js';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp, uniqueEmail } from '../../test/helpers/factories.js';
import { browserSignIn, followAuthorize, startLocalProviders, uniqueIdentity } from '../../test/helpers/oauth-providers.js';
import { linkIn, RecordingMailer, ROOMY_EMAIL_LIMITS } from '../../test/helpers/recording-mailer.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { settleDeliveries } from '../email-flows/delivery.js';

const CLIENT_CALLBACK = 'http://localhost:3000/oauth/callback';

describe.each(dialects)('account linking A18–A21 (%s)', (dialect) => {
  let t: TestApp;
  let providers: Awaited<ReturnType<typeof startLocalProviders>>;
  const clock = new ManualClock();

  beforeAll(async () => {
    providers = await startLocalProviders(clock);
    t = await createTestApp(dialect, { clock, env: { ...providers.env(), LATCH_RATE_ACCOUNTS_CHECK_IP: '3/60' } });
  });
  afterAll(async () => {
    await t.close();
    await providers.stop();
  });

  async function accounts(token: string) {
    const res = await t.request('GET', '/v1/auth/accounts', { token });
    expect(res.status).toBe(200);
    return res.body;
  }

  it('links GitHub with a code (A18), lists both methods (A19), and the link signs in', async () => {
    const user = await signUp(t);
    const identity = uniqueIdentity('linked', { email: 'someone-else@provider.test' });
    clock.advance(1000);
    const code = await providers.github.issueCode(identity, CLIENT_CALLBACK);
    const res = await t.request('POST', '/v1/auth/accounts', { token: user.accessToken, body: { provider: 'github', code, redirectUri: CLIENT_CALLBACK } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({});

    const list = await accounts(user.accessToken);
    expect(list.pagination).toMatchObject({ page: 1, limit: 10, total: 2, totalPages: 1 });
    expect(list.items.map((a: any) => a.provider)).toEqual(['email', 'github']);
    const github = list.items[1];
    expect(github).toMatchObject({ userId: user.id, provider: 'github', providerAccountId: identity.id, email: 'someone-else@provider.test' });
    expect(github.linkedAt).toBe(github.connectedAt);
    expect(list.items[0]).toMatchObject({ provider: 'email', providerAccountId: user.email });

    // The provider's email differs from the user's, yet the linked identity signs this user in.
    providers.github.as(identity);
    const url = await browserSignIn(t, 'github');
    expect(url.searchParams.get('isNewUser')).toBe('false');
    const me = await t.request('GET', '/v1/auth/me', { token: url.searchParams.get('accessToken')! });
    expect(me.body.id).toBe(user.id);
  });

  it('links through E1 with link=true: the browser returns with ?linked=true', async () => {
    const user = await signUp(t);
    const identity = uniqueIdentity('e1link');
    providers.google.as(identity);
    clock.advance(1000);
    const url = await browserSignIn(t, 'google', { link: true, token: user.accessToken });
    expect(url.searchParams.get('linked')).toBe('true');
    expect(url.searchParams.get('accessToken')).toBeNull();
    expect((await accounts(user.accessToken)).items.map((a: any) => a.provider)).toEqual(['email', 'google']);
  });

  it('an app holding code + state of an E1 link=true flow finishes it on A04 or A18', async () => {
    const user = await signUp(t);
    providers.github.as(uniqueIdentity('app-link'));
    const started = await t.request('GET', `/v1/auth/github/authorize?redirect=${encodeURIComponent('http://localhost:3000/x')}&link=true`, { token: user.accessToken });
    const back = await followAuthorize(started.body.authorizationUrl);
    const res = await t.request('POST', '/v1/auth/github/callback', { body: { code: back.searchParams.get('code'), state: back.searchParams.get('state') } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ linked: true, provider: 'github' });

    providers.google.as(uniqueIdentity('app-link-g'));
    const g = await t.request('GET', `/v1/auth/google/authorize?redirect=${encodeURIComponent('http://localhost:3000/x')}&link=true`, { token: user.accessToken });
    const gBack = await followAuthorize(g.body.authorizationUrl);
    const other = await signUp(t);
    const stolen = await t.request('POST', '/v1/auth/accounts', { token: other.accessToken, body: { provider: 'google', code: gBack.searchParams.get('code'), state: gBack.searchParams.get('state') } });
    expect(stolen.status).toBe(400);
    expect(stolen.body.code).toBe('auth/invalid-state');
    expect((await accounts(user.accessToken)).items.map((a: any) => a.provider).sort()).toEqual(['email', 'github']);
  });

  it('links with a Google ID token and with the configured redirect URI by default (OP-21)', async () => {
    const user = await signUp(t);
    const idToken = await providers.google.idToken(uniqueIdentity('idlink'));
    expect((await t.request('POST', '/v1/auth/accounts', { token: user.accessToken, body: { provider: 'google', idToken } })).status).toBe(201);

    const other = await signUp(t);
    const code = await providers.github.issueCode(uniqueIdentity('default-uri'), 'http://localhost:8080/v1/auth/github/callback');
    const res = await t.request('POST', '/v1/auth/accounts', { token: other.accessToken, body: { provider: 'github', code } });
    expect(res.status).toBe(201);
    expect(providers.github.tokenRequests.at(-1)?.get('redirect_uri')).toBe('http://localhost:8080/v1/auth/github/callback');
  });

  it.each([
    [{ provider: 'facebook', code: 'x' }, 400, 'auth/unsupported-provider'],
    [{ provider: 'email', code: 'x' }, 400, 'auth/unsupported-provider'],
    [{ provider: 'github' }, 400, 'auth/validation-error'],
    [{ provider: 'github', code: 'x', redirectUri: 'https://evil.test/' }, 400, 'auth/invalid-redirect-url'],
    [{ provider: 'github', code: 'never-issued', redirectUri: CLIENT_CALLBACK }, 401, 'auth/invalid-oauth-code'],
  ])('A18 %j → %i %s', async (body, status, code) => {
    const user = await signUp(t);
    const res = await t.request('POST', '/v1/auth/accounts', { token: user.accessToken, body });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  });

  it('A18 needs a JWT', async () => {
    const res = await t.request('POST', '/v1/auth/accounts', { body: { provider: 'github', code: 'x' } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth/unauthorized');
  });

  it('the same identity twice, or a second account of one provider, is 409 auth/account-already-linked', async () => {
    const user = await signUp(t);
    const identity = uniqueIdentity('twice');
    const first = await providers.github.issueCode(identity, CLIENT_CALLBACK);
    expect((await t.request('POST', '/v1/auth/accounts', { token: user.accessToken, body: { provider: 'github', code: first, redirectUri: CLIENT_CALLBACK } })).status).toBe(201);
    for (const next of [identity, uniqueIdentity('second')]) {
      const code = await providers.github.issueCode(next, CLIENT_CALLBACK);
      const res = await t.request('POST', '/v1/auth/accounts', { token: user.accessToken, body: { provider: 'github', code, redirectUri: CLIENT_CALLBACK } });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('auth/account-already-linked');
    }
  });

  it('unlinks a social account (A20), refuses the last method, and unlinking email drops the password', async () => {
    const user = await signUp(t);
    const code = await providers.google.issueCode(uniqueIdentity('unlink'), CLIENT_CALLBACK);
    expect((await t.request('POST', '/v1/auth/accounts', { token: user.accessToken, body: { provider: 'google', code, redirectUri: CLIENT_CALLBACK } })).status).toBe(201);

    const missing = await t.request('DELETE', '/v1/auth/accounts/github', { token: user.accessToken });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('auth/account-not-found');
    const unknown = await t.request('DELETE', '/v1/auth/accounts/facebook', { token: user.accessToken });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('auth/unsupported-provider');

    const dropEmail = await t.request('DELETE', '/v1/auth/accounts/email', { token: user.accessToken });
    expect(dropEmail.status).toBe(200);
    expect(dropEmail.body.message).toBeTruthy();
    expect((await signIn(t, user.email, user.password)).body.code).toBe('auth/invalid-credentials');

    const last = await t.request('DELETE', '/v1/auth/accounts/google', { token: user.accessToken });
    expect(last.status).toBe(400);
    expect(last.body.code).toBe('auth/cannot-unlink-last-account');
    expect((await accounts(user.accessToken)).items.map((a: any) => a.provider)).toEqual(['google']);
  });

  it('a password-only user cannot unlink email (last method)', async () => {
    const user = await signUp(t);
    const res = await t.request('DELETE', '/v1/auth/accounts/email', { token: user.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('auth/cannot-unlink-last-account');
  });

  it('concurrent unlinks never leave a user without a sign-in method', async () => {
    const user = await signUp(t);
    for (const provider of ['google', 'github'] as const) {
      const code = await providers[provider].issueCode(uniqueIdentity(`c-${provider}`), CLIENT_CALLBACK);
      expect((await t.request('POST', '/v1/auth/accounts', { token: user.accessToken, body: { provider, code, redirectUri: CLIENT_CALLBACK } })).status).toBe(201);
    }
    const results = await Promise.all(['email', 'google', 'github'].map((p) => t.request('DELETE', `/v1/auth/accounts/${p}`, { token: user.accessToken })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect((await accounts(user.accessToken)).items).toHaveLength(1);
  });

  it('A21 answers exists for credentials and oauth identities', async () => {
    const user = await signUp(t);
    const ip = '10.0.21.1';
    const yes = await t.request('POST', '/v1/auth/accounts/check', { ip, body: { type: 'credentials', provider: 'email', providerAccountId: user.email.toUpperCase() } });
    expect(yes.status).toBe(200);
    expect(yes.body).toEqual({ exists: true, type: 'credentials', provider: 'email' });
    const no = await t.request('POST', '/v1/auth/accounts/check', { ip, body: { type: 'oauth', provider: 'github', providerAccountId: '424242424242' } });
    expect(no.body).toEqual({ exists: false });
  });

  it.each([
    [{ type: 'oauth', provider: 'email', providerAccountId: 'a@b.test' }, 'auth/validation-error'],
    [{ type: 'credentials', provider: 'google', providerAccountId: '1' }, 'auth/validation-error'],
    [{ type: 'magic', provider: 'email', providerAccountId: 'a@b.test' }, 'auth/validation-error'],
    [{ type: 'oauth', provider: 'myspace', providerAccountId: '1' }, 'auth/unsupported-provider'],
    [{ type: 'oauth', provider: 'github' }, 'auth/validation-error'],
  ])('A21 %j → 400 %s', async (body, code) => {
    const res = await t.request('POST', '/v1/auth/accounts/check', { ip: `10.0.22.${Math.floor(Math.random() * 250)}`, body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
  });

  it('A21 is rate-limited per IP (OP-23) with Retry-After', async () => {
    const ip = '10.0.23.1';
    const body = { type: 'oauth', provider: 'google', providerAccountId: '1' };
    for (let i = 0; i < 3; i++) expect((await t.request('POST', '/v1/auth/accounts/check', { ip, body })).status).toBe(200);
    const limited = await t.request('POST', '/v1/auth/accounts/check', { ip, body });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('auth/too-many-requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.request('POST', '/v1/auth/accounts/check', { ip: '10.0.23.2', body })).status).toBe(200);
  });
});

describe.each(dialects)('A21 switched off (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: { LATCH_ACCOUNTS_CHECK: 'off' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('LATCH_ACCOUNTS_CHECK=off → 403 auth/forbidden, nothing revealed', async () => {
    const user = await signUp(t);
    const res = await t.request('POST', '/v1/auth/accounts/check', { body: { type: 'credentials', provider: 'email', providerAccountId: user.email } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('auth/forbidden');
    expect(JSON.stringify(res.body)).not.toContain('exists');
  });
});

describe.each(dialects)('linked identities and the first proof of an unverified address (%s)', (dialect) => {
  const APP = 'http://localhost:3000/cb';
  const OWNER_PASSWORD = 'Owner-Chose-This-31!';
  let t: TestApp;
  let providers: Awaited<ReturnType<typeof startLocalProviders>>;
  const clock = new ManualClock();
  const mailer = new RecordingMailer();

  beforeAll(async () => {
    providers = await startLocalProviders(clock);
    t = await createTestApp(dialect, { clock, mailer, env: { ...providers.env(), ...ROOMY_EMAIL_LIMITS } });
  });
  afterAll(async () => {
    mailer.release();
    await t.close();
    await providers.stop();
  });

  async function post(url: string, body: unknown) {
    const res = await t.request('POST', url, { body });
    await settleDeliveries(t.ctx);
    return res;
  }
  const tokenOf = (email: string, template: string) => linkIn(mailer.last(email, template)).searchParams.get('token')!;

  async function resetPassword(email: string) {
    expect((await post('/v1/auth/password/reset/request', { email, callbackUrl: APP })).status).toBe(200);
    return t.request('POST', '/v1/auth/password/reset/confirm', { body: { email, token: tokenOf(email, 'password_reset'), newPassword: OWNER_PASSWORD } });
  }

  async function magicSignIn(email: string) {
    expect((await post('/v1/auth/email/signin', { method: 'magiclink', email, callbackUrl: APP })).status).toBe(200);
    return t.request('POST', '/v1/auth/email/callback', { body: { token: tokenOf(email, 'magic_link') } });
  }

  /** Who a provider identity signs in as now: a user id, or null when it opens no account. */
  async function signsInAs(provider: 'github' | 'google', identity: ReturnType<typeof uniqueIdentity>): Promise<string | null> {
    providers[provider].as(identity);
    const url = await browserSignIn(t, provider);
    const accessToken = url.searchParams.get('accessToken');
    return accessToken ? (await t.request('GET', '/v1/auth/me', { token: accessToken })).body.id : null;
  }

  /** The squatter registers the victim's address first (unverified) and links their own GitHub (A18). */
  async function squatWithGithub() {
    const squatter = await signUp(t, { email: uniqueEmail('victim'), password: 'Attacker-Knows-This-9!' });
    await settleDeliveries(t.ctx);
    const github = uniqueIdentity('squatter-gh');
    const code = await providers.github.issueCode(github, CLIENT_CALLBACK);
    expect((await t.request('POST', '/v1/auth/accounts', { token: squatter.accessToken, body: { provider: 'github', code, redirectUri: CLIENT_CALLBACK } })).status).toBe(201);
    expect(await signsInAs('github', github)).toBe(squatter.id);
    return { squatter, github };
  }

  const providersOf = async (userId: string) =>
    (await t.ctx.db.selectFrom('accounts').select('provider').where('user_id', '=', userId).orderBy('provider').execute()).map((row) => row.provider);

  it('password reset: a social identity the squatter linked before the address was verified does not survive recovery', async () => {
    const { squatter, github } = await squatWithGithub();
    expect((await resetPassword(squatter.email)).status).toBe(200);
    expect(await signsInAs('github', github)).not.toBe(squatter.id);
    expect(await providersOf(squatter.id)).toEqual(['email']);
    const events = await t.ctx.db.selectFrom('audit_log').select('details').where('user_id', '=', squatter.id).where('event', '=', 'account.unproven_setup_dropped').execute();
    expect(events.map((e) => JSON.parse(e.details!))).toEqual([{ proof: 'password_reset', linkedAccounts: ['github'], mfa: false }]);
  });

  it('magic link: a social identity linked through E1 link=true before the address was verified is dropped', async () => {
    const squatter = await signUp(t, { email: uniqueEmail('victim'), password: 'Attacker-Knows-This-9!' });
    await settleDeliveries(t.ctx);
    const google = uniqueIdentity('squatter-google');
    providers.google.as(google);
    clock.advance(1000);
    expect((await browserSignIn(t, 'google', { link: true, token: squatter.accessToken })).searchParams.get('linked')).toBe('true');

    expect((await magicSignIn(squatter.email)).status).toBe(200);
    clock.advance(1000);
    expect(await signsInAs('google', google)).not.toBe(squatter.id);
    expect(await providersOf(squatter.id)).toEqual(['email']);
  });

  it('an identity linked after the address was verified stays through a reset and a magic link', async () => {
    const user = await signUp(t);
    await settleDeliveries(t.ctx);
    const confirm = linkIn(mailer.last(user.email, 'signup_confirmation'));
    expect((await t.request('GET', `${confirm.pathname}${confirm.search}`, { key: null })).status).toBe(200);
    const github = uniqueIdentity('owner-gh');
    const code = await providers.github.issueCode(github, CLIENT_CALLBACK);
    expect((await t.request('POST', '/v1/auth/accounts', { token: user.accessToken, body: { provider: 'github', code, redirectUri: CLIENT_CALLBACK } })).status).toBe(201);

    expect((await resetPassword(user.email)).status).toBe(200);
    expect((await magicSignIn(user.email)).status).toBe(200);
    expect(await signsInAs('github', github)).toBe(user.id);
    expect(await providersOf(user.id)).toEqual(['email', 'github']);
  });
});
