import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp, STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { settleDeliveries } from './delivery.js';
import { linkIn, RecordingMailer, ROOMY_EMAIL_LIMITS } from '../../test/helpers/recording-mailer.js';

const NEW_PASSWORD = 'Brand-New-Secret-42!';
const APP_RESET_PAGE = 'http://localhost:3000/reset?from=mail#top';


describe.each(dialects)('password reset A10/A11 (%s)', (dialect) => {
  let t: TestApp;
  const mailer = new RecordingMailer();

  beforeAll(async () => {
    t = await createTestApp(dialect, { mailer, env: { ...ROOMY_EMAIL_LIMITS, LATCH_RATE_SIGNIN_EMAIL: '3/900' } });
  });
  afterAll(async () => {
    await t.close();
  });

  async function requestReset(email: string, callbackUrl?: string) {
    const res = await t.request('POST', '/v1/auth/password/reset/request', { body: { email, ...(callbackUrl ? { callbackUrl } : {}) } });
    await settleDeliveries(t.ctx);
    return res;
  }

  async function resetToken(email: string, callbackUrl = APP_RESET_PAGE): Promise<string> {
    await requestReset(email, callbackUrl);
    return linkIn(mailer.last(email, 'password_reset')).searchParams.get('token')!;
  }

  it('mails a single-use link to the app page with token and email, keeping its query and fragment', async () => {
    const user = await signUp(t);
    const res = await requestReset(user.email, APP_RESET_PAGE);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['message']);
    const mail = mailer.last(user.email, 'password_reset');
    expect(mail.template).toBe('password_reset');
    const link = linkIn(mail);
    expect(link.origin + link.pathname).toBe('http://localhost:3000/reset');
    expect(link.searchParams.get('from')).toBe('mail');
    expect(link.hash).toBe('#top');
    expect(link.searchParams.get('email')).toBe(user.email);
    expect(link.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mail.text).toContain('15 minutes');
    expect(mail.html).toContain(link.searchParams.get('token'));
    // Stored only as a hash.
    const rows = await t.ctx.db.selectFrom('email_tokens').select(['token_hash', 'expires_at', 'created_at']).where('email_normalized', '=', user.email.toLowerCase()).where('purpose', '=', 'password_reset').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].token_hash).not.toContain(link.searchParams.get('token'));
    expect(Number(rows[0].expires_at) - Number(rows[0].created_at)).toBe(15 * 60_000);
  });

  it('answers an unknown address exactly like a known one and sends nothing', async () => {
    const user = await signUp(t);
    const unknown = uniqueEmail('nobody');
    const known = await requestReset(user.email);
    const missing = await requestReset(unknown);
    expect(missing.status).toBe(known.status);
    expect(missing.body).toEqual(known.body);
    expect(mailer.to(unknown)).toHaveLength(0);
    expect(mailer.to(user.email).filter((m) => m.template === 'password_reset')).toHaveLength(1);
  });

  it('builds the link from E3 passwordResetUrl when the request has no callbackUrl', async () => {
    const admin = { key: TEST_SK };
    const put = await t.request('PUT', '/v1/auth/providers/email', { ...admin, body: { passwordResetUrl: 'http://localhost:4000/account/reset' } });
    expect(put.status).toBe(200);
    const user = await signUp(t);
    await requestReset(user.email);
    expect(linkIn(mailer.last(user.email, 'password_reset')).pathname).toBe('/account/reset');
    await t.request('PUT', '/v1/auth/providers/email', { ...admin, body: { passwordResetUrl: null } });
    await requestReset(user.email);
    expect(linkIn(mailer.last(user.email, 'password_reset')).toString()).toMatch(/^http:\/\/localhost:8080\/reset-password\?token=/);
  });

  it('sets the new password, ends every session, verifies the address and consumes the token', async () => {
    const user = await signUp(t);
    const second = await signIn(t, user.email, user.password);
    const token = await resetToken(user.email);
    const res = await t.request('POST', '/v1/auth/password/reset/confirm', { body: { email: user.email.toUpperCase(), token, newPassword: NEW_PASSWORD } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['message']);

    for (const access of [user.accessToken, second.body.accessToken]) {
      expect((await t.request('GET', '/v1/auth/me', { token: access })).status).toBe(401);
    }
    expect((await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } })).status).toBe(401);
    expect((await signIn(t, user.email, user.password)).status).toBe(401);
    const fresh = await signIn(t, user.email, NEW_PASSWORD);
    expect(fresh.status).toBe(200);
    const me = await t.request('GET', '/v1/auth/me', { token: fresh.body.accessToken });
    expect(me.body.emailVerified).toEqual(expect.any(String));

    const again = await t.request('POST', '/v1/auth/password/reset/confirm', { body: { email: user.email, token, newPassword: 'Another-Secret-77!' } });
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('auth/verification-token-not-found');
  });

  it('lets only the newest link work', async () => {
    const user = await signUp(t);
    const first = await resetToken(user.email);
    const second = await resetToken(user.email);
    const old = await t.request('POST', '/v1/auth/password/reset/confirm', { body: { email: user.email, token: first, newPassword: NEW_PASSWORD } });
    expect(old.body.code).toBe('auth/verification-token-not-found');
    const res = await t.request('POST', '/v1/auth/password/reset/confirm', { body: { email: user.email, token: second, newPassword: NEW_PASSWORD } });
    expect(res.status).toBe(200);
  });

  it('a reset link requested before a password change (A12) no longer works after it; one requested after does', async () => {
    const user = await signUp(t);
    const before = await resetToken(user.email);
    t.clock.advance(1000);
    const change = await t.request('POST', '/v1/auth/password/change', { token: user.accessToken, body: { currentPassword: user.password, newPassword: NEW_PASSWORD } });
    expect(change.status).toBe(200);
    const res = await t.request('POST', '/v1/auth/password/reset/confirm', { body: { email: user.email, token: before, newPassword: 'Yet-Another-Secret-5!' } });
    expect([res.status, res.body.code]).toEqual([404, 'auth/verification-token-not-found']);
    expect((await signIn(t, user.email, NEW_PASSWORD)).status).toBe(200);

    t.clock.advance(1000);
    const after = await resetToken(user.email);
    expect((await t.request('POST', '/v1/auth/password/reset/confirm', { body: { email: user.email, token: after, newPassword: 'Yet-Another-Secret-5!' } })).status).toBe(200);
  });

  it('clears the temporary sign-in lock (auth-api.md §10)', async () => {
    const user = await signUp(t);
    for (let i = 0; i < 3; i++) expect((await signIn(t, user.email, 'Wrong-Password-1!')).status).toBe(401);
    const locked = await signIn(t, user.email, user.password);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('auth/account-locked');
    const token = await resetToken(user.email);
    expect((await t.request('POST', '/v1/auth/password/reset/confirm', { body: { email: user.email, token, newPassword: NEW_PASSWORD } })).status).toBe(200);
    expect((await signIn(t, user.email, NEW_PASSWORD)).status).toBe(200);
  });

  it.each([
    ['a made-up token', (token: string) => ({ token: `${token.slice(0, -2)}AA` }), 404, 'auth/verification-token-not-found'],
    ['a malformed token', () => ({ token: 'x'.repeat(10) }), 404, 'auth/verification-token-not-found'],
    ['a token sent to another address', () => ({ email: uniqueEmail('other') }), 404, 'auth/verification-token-not-found'],
    ['an invalid email', () => ({ email: 'not-an-email' }), 400, 'auth/invalid-email'],
    ['a password breaking the policy', () => ({ newPassword: 'short' }), 400, 'auth/invalid-password-format'],
    ['a common password', () => ({ newPassword: 'Password1!' }), 400, 'auth/weak-password'],
    ['the current password', () => ({ newPassword: STRONG_PASSWORD }), 400, 'auth/same-as-previous-password'],
    ['no token', () => ({ token: undefined }), 400, 'auth/validation-error'],
  ])('refuses %s', async (_, change, status, code) => {
    const user = await signUp(t);
    const token = await resetToken(user.email);
    const body = { email: user.email, token, newPassword: NEW_PASSWORD, ...change(token) };
    const res = await t.request('POST', '/v1/auth/password/reset/confirm', { body });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    // Nothing was consumed by a refused attempt: the real link still works.
    const ok = await t.request('POST', '/v1/auth/password/reset/confirm', { body: { email: user.email, token, newPassword: NEW_PASSWORD } });
    expect(ok.status).toBe(200);
  });

  it('refuses an expired token with 401 auth/verification-token-expired', async () => {
    const user = await signUp(t);
    const token = await resetToken(user.email);
    t.clock.advance(15 * 60_000 + 1);
    const res = await t.request('POST', '/v1/auth/password/reset/confirm', { body: { email: user.email, token, newPassword: NEW_PASSWORD } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth/verification-token-expired');
  });

  it.each([
    [{ email: 'nope' }, 400, 'auth/invalid-email'],
    [{}, 400, 'auth/validation-error'],
    [{ email: uniqueEmail(), callbackUrl: 'https://evil.example/reset' }, 400, 'auth/invalid-redirect-url'],
    [{ email: uniqueEmail(), callbackUrl: 'javascript:alert(1)' }, 400, 'auth/invalid-redirect-url'],
  ])('refuses the request %j', async (body, status, code) => {
    const res = await t.request('POST', '/v1/auth/password/reset/request', { body });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  });
});
