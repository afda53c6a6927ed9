import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../crypto/random.js';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp, uniqueEmail } from '../../test/helpers/factories.js';
import { currentCode, enrollMfa } from '../../test/helpers/mfa.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { settleDeliveries } from './delivery.js';
import { linkIn, RecordingMailer, ROOMY_EMAIL_LIMITS } from '../../test/helpers/recording-mailer.js';

const CALLBACK = 'http://localhost:3000/auth/magic?next=%2Fhome#frag';

describe.each(dialects)('magic link A01-M / A02-M / POST /email/callback (%s)', (dialect) => {
  let t: TestApp;
  const mailer = new RecordingMailer();

  beforeAll(async () => {
    t = await createTestApp(dialect, { mailer, env: ROOMY_EMAIL_LIMITS });
  });
  afterAll(async () => {
    await t.close();
  });

  async function requestLink(path: 'signup' | 'signin', body: Record<string, unknown>) {
    const res = await t.request('POST', `/v1/auth/email/${path}`, { body: { method: 'magiclink', callbackUrl: CALLBACK, ...body } });
    await settleDeliveries(t.ctx);
    return res;
  }

  async function tokenFor(email: string, path: 'signup' | 'signin' = 'signin', extra: Record<string, unknown> = {}): Promise<string> {
    const res = await requestLink(path, { email, ...extra });
    expect(res.status).toBe(path === 'signup' ? 201 : 200);
    return linkIn(mailer.last(email, 'magic_link')).searchParams.get('token')!;
  }

  const exchange = (body: Record<string, unknown>) => t.request('POST', '/v1/auth/email/callback', { body });

  const droppedEvents = (userId: string) =>
    t.ctx.db.selectFrom('audit_log').select('details').where('user_id', '=', userId).where('event', '=', 'account.unproven_setup_dropped').execute();

  it('A01-M: 201 { message, email }, no account until the link is exchanged, then is_new_user: true', async () => {
    const email = uniqueEmail('fresh');
    const res = await requestLink('signup', { email, name: 'Ada Magic' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ message: expect.any(String), email });
    expect(await t.ctx.db.selectFrom('users').select('id').where('email_normalized', '=', email).executeTakeFirst()).toBeUndefined();

    const mail = mailer.last(email);
    expect(mail.template).toBe('magic_link');
    const link = linkIn(mail);
    expect(`${link.origin}${link.pathname}`).toBe('http://localhost:3000/auth/magic');
    expect(link.searchParams.get('next')).toBe('/home');
    expect(link.hash).toBe('#frag');

    const session = await exchange({ token: link.searchParams.get('token') });
    expect(session.status).toBe(200);
    expect(Object.keys(session.body).sort()).toEqual(['accessToken', 'expiresIn', 'is_new_user', 'refreshToken', 'tokenType']);
    expect(session.body.is_new_user).toBe(true);
    const me = await t.request('GET', '/v1/auth/me', { token: session.body.accessToken });
    expect(me.body).toMatchObject({ email, name: 'Ada Magic', role: 'user', emailVerified: expect.any(String) });
    const accounts = await t.ctx.db.selectFrom('accounts').select(['provider', 'provider_account_id']).where('user_id', '=', me.body.id).execute();
    expect(accounts).toEqual([{ provider: 'email', provider_account_id: email }]);
  });

  it('A02-M for an unknown address creates the account at the exchange, named after the local part (OP-12)', async () => {
    const email = uniqueEmail('local');
    const session = await exchange({ token: await tokenFor(email) });
    expect(session.body.is_new_user).toBe(true);
    const me = await t.request('GET', '/v1/auth/me', { token: session.body.accessToken });
    expect(me.body.name).toBe(email.split('@')[0]);
  });

  it('signs a password user in (is_new_user: false) and marks the address verified; sign-up for them is no error', async () => {
    const user = await signUp(t);
    const viaSignup = await exchange({ token: await tokenFor(user.email.toUpperCase(), 'signup') });
    expect(viaSignup.status).toBe(200);
    expect(viaSignup.body.is_new_user).toBe(false);
    const me = await t.request('GET', '/v1/auth/me', { token: viaSignup.body.accessToken });
    expect(me.body.id).toBe(user.id);
    expect(me.body.emailVerified).toEqual(expect.any(String));
    // The address was never verified: its first proof ends what was set up before it (unproven-account.ts).
    expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(401);
  });

  it('for an account whose address is verified, a magic link drops nothing: the password and other sessions stay', async () => {
    const user = await signUp(t);
    await settleDeliveries(t.ctx);
    const confirm = linkIn(mailer.last(user.email, 'signup_confirmation'));
    expect((await t.request('GET', `${confirm.pathname}${confirm.search}`, { key: null })).status).toBe(200);

    const session = await exchange({ token: await tokenFor(user.email) });
    expect(session.status).toBe(200);
    expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200);
    expect((await signIn(t, user.email, user.password)).status).toBe(200);
    expect(await droppedEvents(user.id)).toEqual([]);
  });

  it('an owner with MFA who never verified signs in by magic link (second factor passed) and keeps password, MFA and sessions', async () => {
    const user = await signUp(t);
    const { secret } = await enrollMfa(t, user);

    // Through the challenge (403 → { mfaToken, mfaCode }).
    const challenged = await exchange({ token: await tokenFor(user.email) });
    expect([challenged.status, challenged.body.code]).toEqual([403, 'auth/mfa-required']);
    const viaChallenge = await exchange({ mfaToken: challenged.body.error.details.mfaToken, mfaCode: currentCode(t, secret) });
    expect(viaChallenge.status).toBe(200);
    const me = await t.request('GET', '/v1/auth/me', { token: viaChallenge.body.accessToken });
    expect(me.body).toMatchObject({ id: user.id, emailVerified: expect.any(String) });

    expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200);
    const password = await signIn(t, user.email, user.password);
    expect([password.status, password.body.code]).toEqual([403, 'auth/mfa-required']);
    expect(await droppedEvents(user.id)).toEqual([]);
  });

  it('an owner with MFA who never verified may also send the code with the link itself', async () => {
    const user = await signUp(t);
    const { secret } = await enrollMfa(t, user);
    const res = await exchange({ token: await tokenFor(user.email), mfaCode: currentCode(t, secret) });
    expect(res.status).toBe(200);
    expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200);
    expect((await signIn(t, user.email, user.password)).body.code).toBe('auth/mfa-required');
    expect(await droppedEvents(user.id)).toEqual([]);
  });

  it('the link works once', async () => {
    const token = await tokenFor(uniqueEmail());
    expect((await exchange({ token })).status).toBe(200);
    const again = await exchange({ token });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('auth/invalid-token');
  });

  it('honours magicLinkExpirationMinutes from E3', async () => {
    await t.request('PUT', '/v1/auth/providers/email', { key: TEST_SK, body: { magicLinkExpirationMinutes: 30 } });
    try {
      const email = uniqueEmail();
      const late = await tokenFor(email);
      expect(mailer.last(email).text).toContain('30 minutes');
      const onTime = await tokenFor(uniqueEmail());
      t.clock.advance(29 * 60_000);
      expect((await exchange({ token: onTime })).status).toBe(200);
      t.clock.advance(60_000 + 1);
      const res = await exchange({ token: late });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth/token-expired');
    } finally {
      await t.request('PUT', '/v1/auth/providers/email', { key: TEST_SK, body: { magicLinkExpirationMinutes: 15 } });
    }
  });

  it('is refused when switched off, on request and on exchange', async () => {
    const token = await tokenFor(uniqueEmail());
    await t.request('PUT', '/v1/auth/providers/email', { key: TEST_SK, body: { magicLinkEnabled: false } });
    try {
      const request = await requestLink('signin', { email: uniqueEmail() });
      expect([request.status, request.body.code]).toEqual([400, 'auth/magiclink-disabled']);
      const res = await exchange({ token });
      expect([res.status, res.body.code]).toEqual([400, 'auth/magiclink-disabled']);
    } finally {
      await t.request('PUT', '/v1/auth/providers/email', { key: TEST_SK, body: { magicLinkEnabled: true } });
    }
    expect((await exchange({ token })).status).toBe(200);
  });

  it('is refused for a social-only account (§16.8)', async () => {
    const email = uniqueEmail('social');
    const now = t.clock.now();
    const id = uuidv7(now);
    await t.ctx.db.insertInto('users').values({
      id, email, email_normalized: email, name: 'Social', nickname: null, role: 'user', email_verified_at: now, image: null, onboarding_status: 'pending',
      password_hash: null, password_changed_at: null, mfa_enabled: 0, banned_at: null, deleted_at: null, last_sign_in_at: null, created_at: now, updated_at: now,
    }).execute();
    await t.ctx.db.insertInto('accounts').values({ id: uuidv7(now), user_id: id, provider: 'github', provider_account_id: `gh-${id}`, email, created_at: now }).execute();
    const res = await requestLink('signin', { email });
    expect([res.status, res.body.code]).toEqual([400, 'auth/magiclink-not-available-for-social']);
    expect(mailer.to(email)).toHaveLength(0);
  });

  it('refuses a banned account at the exchange without consuming the link', async () => {
    const user = await signUp(t);
    const token = await tokenFor(user.email);
    await t.ctx.db.updateTable('users').set({ banned_at: t.clock.now() }).where('id', '=', user.id).execute();
    const res = await exchange({ token });
    expect([res.status, res.body.code]).toEqual([403, 'auth/account-banned']);
    await t.ctx.db.updateTable('users').set({ banned_at: null }).where('id', '=', user.id).execute();
    expect((await exchange({ token })).status).toBe(200);
  });

  it('a link sent to an account dies with it: after withdraw it creates nothing', async () => {
    const user = await signUp(t);
    const token = await tokenFor(user.email);
    expect((await t.request('DELETE', '/v1/auth/withdraw', { token: user.accessToken })).status).toBe(200);
    const res = await exchange({ token });
    expect([res.status, res.body.code]).toEqual([401, 'auth/invalid-token']);
    expect(await t.ctx.db.selectFrom('users').select('id').where('email_normalized', '=', user.email).where('deleted_at', 'is', null).execute()).toEqual([]);
  });

  it.each([
    [{}, 400, 'auth/magic-token-missing'],
    [{ token: '' }, 400, 'auth/magic-token-missing'],
    [{ token: 'A'.repeat(43) }, 401, 'auth/invalid-token'],
    [{ token: 'short' }, 401, 'auth/invalid-token'],
    [{ token: 42 }, 400, 'auth/validation-error'],
    [{ mfaToken: 'A'.repeat(43) }, 400, 'auth/validation-error'],
    [{ mfaToken: 'A'.repeat(43), mfaCode: '123456' }, 401, 'auth/invalid-token'],
  ])('the exchange refuses %j', async (body, status, code) => {
    const res = await exchange(body);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  });

  it.each([
    [{ email: uniqueEmail(), callbackUrl: undefined }, 400, 'auth/validation-error'],
    [{ email: uniqueEmail(), callbackUrl: 'https://evil.example/cb' }, 400, 'auth/invalid-redirect-url'],
    [{ email: uniqueEmail(), callbackUrl: 'http://localhost:3000@evil.example/' }, 400, 'auth/invalid-redirect-url'],
    [{ email: 'broken', callbackUrl: CALLBACK }, 400, 'auth/invalid-email'],
    [{ email: uniqueEmail(), callbackUrl: CALLBACK, name: 'x'.repeat(101) }, 400, 'auth/validation-error'],
  ])('the request refuses %j', async (body, status, code) => {
    const res = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'magiclink', ...body } });
    await settleDeliveries(t.ctx);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    if (body.email.includes('@')) expect(mailer.to(body.email)).toHaveLength(0);
  });

  it('a magic-link-only account can set a password through the reset flow (OP-17, OP-38)', async () => {
    const email = uniqueEmail('nopass');
    await exchange({ token: await tokenFor(email) });
    await t.request('POST', '/v1/auth/password/reset/request', { body: { email } });
    await settleDeliveries(t.ctx);
    const link = linkIn(mailer.last(email, 'password_reset'));
    const res = await t.request('POST', '/v1/auth/password/reset/confirm', { body: { email, token: link.searchParams.get('token'), newPassword: 'Fresh-Password-91!' } });
    expect(res.status).toBe(200);
    const signIn = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email, password: 'Fresh-Password-91!' } });
    expect(signIn.status).toBe(200);
  });
});
