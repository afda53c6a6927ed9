import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp, STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { settleDeliveries } from './delivery.js';
import { linkIn, RecordingMailer, ROOMY_EMAIL_LIMITS } from '../../test/helpers/recording-mailer.js';

const APP = 'http://localhost:3000/verified';

describe.each(dialects)('email verification A28–A32 (%s)', (dialect) => {
  let t: TestApp;
  const mailer = new RecordingMailer();

  beforeAll(async () => {
    t = await createTestApp(dialect, { mailer, env: ROOMY_EMAIL_LIMITS });
  });
  afterAll(async () => {
    await t.close();
  });

  async function settled<T>(promise: Promise<T>): Promise<T> {
    const result = await promise;
    await settleDeliveries(t.ctx);
    return result;
  }

  /** The path + query of a link to this server, as a browser would request it (no API key). */
  function local(link: URL): string {
    expect(link.origin).toBe('http://localhost:8080');
    return `${link.pathname}${link.search}`;
  }

  const me = async (token: string) => (await t.request('GET', '/v1/auth/me', { token })).body;

  it('sends signup_confirmation at sign-up; the GET link verifies with the wrapped body, once', async () => {
    const user = await settled(signUp(t, { name: 'Grace' }));
    const mail = mailer.last(user.email);
    expect(mail.template).toBe('signup_confirmation');
    expect(mail.text).toContain('Grace');
    const link = linkIn(mail);
    expect(link.pathname).toBe('/v1/auth/signup/email/confirm');
    expect(link.searchParams.get('email')).toBe(user.email);

    const res = await t.request('GET', local(link), { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, data: { verified: true, email: user.email } });
    expect((await me(user.accessToken)).emailVerified).toEqual(expect.any(String));

    const again = await t.request('GET', local(link), { key: null });
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('auth/already-verified');
  });

  it('redirects to an allow-listed callbackUrl, success and failure alike', async () => {
    const email = uniqueEmail();
    const signup = await settled(t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name: 'R', callbackUrl: APP } }));
    expect(signup.status).toBe(201);
    const link = linkIn(mailer.last(email));
    expect(link.searchParams.get('callbackUrl')).toBe(APP);

    const ok = await t.request('GET', local(link), { key: null });
    expect(ok.status).toBe(302);
    const target = new URL(ok.headers.location as string);
    expect(`${target.origin}${target.pathname}`).toBe(APP);
    expect(Object.fromEntries(target.searchParams)).toEqual({ verified: 'true', email });

    const again = await t.request('GET', local(link), { key: null });
    expect(again.status).toBe(302);
    expect(Object.fromEntries(new URL(again.headers.location as string).searchParams)).toEqual({ verified: 'false', email, error: 'auth/already-verified' });
  });

  it('never follows a callbackUrl off the allow-list (JSON 400, no Location)', async () => {
    const user = await settled(signUp(t));
    const link = linkIn(mailer.last(user.email));
    link.searchParams.set('callbackUrl', 'https://evil.example/steal');
    const res = await t.request('GET', local(link), { key: null });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('auth/invalid-redirect-url');
    expect(res.headers.location).toBeUndefined();
    // Nothing consumed: the genuine link still verifies.
    link.searchParams.delete('callbackUrl');
    expect((await t.request('GET', local(link), { key: null })).status).toBe(200);
  });

  it('refuses a sign-up whose callbackUrl is off the allow-list, creating nothing', async () => {
    const email = uniqueEmail();
    const res = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name: 'x', callbackUrl: 'https://evil.example/' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('auth/invalid-redirect-url');
    expect(await t.ctx.db.selectFrom('users').select('id').where('email_normalized', '=', email).executeTakeFirst()).toBeUndefined();
  });

  it('A31 resends (newest link wins), answers unknown addresses alike, and refuses verified ones', async () => {
    const user = await settled(signUp(t));
    const first = linkIn(mailer.last(user.email));
    const res = await settled(t.request('POST', '/v1/auth/signup/email/resend', { body: { email: user.email, callbackUrl: APP } }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: expect.any(String), email: user.email });
    const second = linkIn(mailer.last(user.email));
    expect(second.searchParams.get('token')).not.toBe(first.searchParams.get('token'));

    const unknown = uniqueEmail('ghost');
    const ghost = await settled(t.request('POST', '/v1/auth/signup/email/resend', { body: { email: unknown, callbackUrl: APP } }));
    expect(ghost.status).toBe(200);
    expect(ghost.body.message).toBe(res.body.message);
    expect(mailer.to(unknown)).toHaveLength(0);

    const stale = await t.request('GET', local(first), { key: null });
    expect(stale.body.code).toBe('auth/invalid-token');
    expect((await t.request('GET', local(second), { key: null })).status).toBe(302);
    const verified = await t.request('POST', '/v1/auth/signup/email/resend', { body: { email: user.email } });
    expect(verified.status).toBe(400);
    expect(verified.body.code).toBe('auth/already-verified');
  });

  it('A30 resend voids the unused sign-up confirmation link too (A30 "voids the previous unused token")', async () => {
    const user = await settled(signUp(t));
    const signupLink = linkIn(mailer.last(user.email, 'signup_confirmation'));
    expect((await settled(t.request('POST', '/v1/auth/email/verify/resend', { body: { email: user.email, callbackUrl: APP } }))).status).toBe(200);
    const stale = await t.request('GET', local(signupLink), { key: null });
    expect([stale.status, stale.body.code]).toEqual([401, 'auth/invalid-token']);
    const contact = linkIn(mailer.last(user.email, 'email_verification'));
    const res = await t.request('POST', '/v1/auth/email/verify/confirm', { body: { email: user.email, token: contact.searchParams.get('token') } });
    expect(res.status).toBe(200);
  });

  it('A31 resend voids an unused A28/A30 contact link the same way (one family of verification links)', async () => {
    const user = await settled(signUp(t));
    await settled(t.request('POST', '/v1/auth/email/verify/send', { body: { email: user.email, callbackUrl: APP } }));
    const contact = linkIn(mailer.last(user.email, 'email_verification'));
    expect((await settled(t.request('POST', '/v1/auth/signup/email/resend', { body: { email: user.email } }))).status).toBe(200);
    const stale = await t.request('POST', '/v1/auth/email/verify/confirm', { body: { email: user.email, token: contact.searchParams.get('token') } });
    expect([stale.status, stale.body.code]).toEqual([401, 'auth/invalid-token']);
    expect((await t.request('GET', local(linkIn(mailer.last(user.email, 'signup_confirmation'))), { key: null })).status).toBe(200);
  });

  it('A28 + A29 verify an existing account without a JWT; the app receives token and email', async () => {
    const user = await settled(signUp(t, { name: 'Contact' }));
    const res = await settled(t.request('POST', '/v1/auth/email/verify/send', { body: { email: user.email, callbackUrl: APP } }));
    expect(res.status).toBe(200);
    expect(res.body.email).toBe(user.email);
    const mail = mailer.last(user.email);
    expect(mail.template).toBe('email_verification');
    const link = linkIn(mail);
    expect(`${link.origin}${link.pathname}`).toBe(APP);

    const confirm = await t.request('POST', '/v1/auth/email/verify/confirm', { body: { email: link.searchParams.get('email'), token: link.searchParams.get('token') } });
    expect(confirm.status).toBe(200);
    expect(confirm.body).toEqual({ message: expect.any(String), verified: true });
    expect((await me(user.accessToken)).emailVerified).toEqual(expect.any(String));

    const resend = await t.request('POST', '/v1/auth/email/verify/resend', { body: { email: user.email } });
    expect(resend.body.code).toBe('auth/already-verified');
  });

  it('A28 with a JWT changes the address once the new one is confirmed (OP-11)', async () => {
    const user = await settled(signUp(t));
    const next = uniqueEmail('moved');
    const res = await settled(t.request('POST', '/v1/auth/email/verify/send', { token: user.accessToken, body: { email: next, callbackUrl: APP } }));
    expect(res.status).toBe(200);
    expect((await me(user.accessToken)).email).toBe(user.email);
    const link = linkIn(mailer.last(next));
    const confirm = await t.request('POST', '/v1/auth/email/verify/confirm', { body: { email: next, token: link.searchParams.get('token') } });
    expect(confirm.status).toBe(200);
    const after = await me(user.accessToken);
    expect(after.email).toBe(next);
    expect(after.emailVerified).toEqual(expect.any(String));
    expect((await signIn(t, next, user.password)).status).toBe(200);
    expect((await signIn(t, user.email, user.password)).status).toBe(401);
  });

  /** A28/A30 with the user's JWT for another address: a pending change (OP-11); the mailed token. */
  async function requestChange(accessToken: string, to: string, path: 'send' | 'resend' = 'send'): Promise<string> {
    const res = await settled(t.request('POST', `/v1/auth/email/verify/${path}`, { token: accessToken, body: { email: to, callbackUrl: APP } }));
    expect(res.status).toBe(200);
    return linkIn(mailer.last(to, 'email_verification')).searchParams.get('token')!;
  }
  const confirmAt = (email: string, token: string) => t.request('POST', '/v1/auth/email/verify/confirm', { body: { email, token } });

  it('a newer change request voids the pending change to another address; the current address link is kept', async () => {
    const user = await settled(signUp(t));
    const signupLink = linkIn(mailer.last(user.email, 'signup_confirmation'));
    const typo = uniqueEmail('typo');
    const intended = uniqueEmail('intended');
    const stale = await requestChange(user.accessToken, typo);
    const fresh = await requestChange(user.accessToken, intended, 'resend');
    // Whoever reads the mistyped inbox cannot take the account's address with the first link.
    const res = await confirmAt(typo, stale);
    expect([res.status, res.body.code]).toEqual([401, 'auth/invalid-token']);
    expect((await me(user.accessToken)).email).toBe(user.email);
    // The sign-up link verifies the current address: it is no change link and survives.
    expect((await t.request('GET', local(signupLink), { key: null })).status).toBe(200);
    expect((await confirmAt(intended, fresh)).status).toBe(200);
    expect((await me(user.accessToken)).email).toBe(intended);
  });

  it('a confirmed change voids every older link that would move the address again (the old sign-up link too)', async () => {
    const user = await settled(signUp(t));
    const signupLink = linkIn(mailer.last(user.email, 'signup_confirmation'));
    const next = uniqueEmail('next');
    expect((await confirmAt(next, await requestChange(user.accessToken, next))).status).toBe(200);
    // The link to the old address now reads as a change back to it: refused, the address stays.
    const back = await t.request('GET', local(signupLink), { key: null });
    expect([back.status, back.body.code]).toEqual([401, 'auth/invalid-token']);
    const after = await me(user.accessToken);
    expect([after.email, after.emailVerified]).toEqual([next, expect.any(String)]);
  });

  it('A28 with a JWT refuses an address another account holds (409)', async () => {
    const a = await signUp(t);
    const b = await signUp(t);
    const res = await t.request('POST', '/v1/auth/email/verify/send', { token: a.accessToken, body: { email: b.email } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('auth/email-already-exists');
  });

  it('A28 answers an unknown address like a known one, without mail', async () => {
    const unknown = uniqueEmail('void');
    const res = await settled(t.request('POST', '/v1/auth/email/verify/send', { body: { email: unknown } }));
    expect(res.status).toBe(200);
    expect(mailer.to(unknown)).toHaveLength(0);
  });

  it.each([
    ['a made-up token', (link: URL) => ({ email: link.searchParams.get('email'), token: 'A'.repeat(43) }), 401, 'auth/invalid-token'],
    ['another address', (link: URL) => ({ email: uniqueEmail(), token: link.searchParams.get('token') }), 401, 'auth/invalid-token'],
    ['a bad email', (link: URL) => ({ email: 'bad', token: link.searchParams.get('token') }), 400, 'auth/invalid-email'],
    ['no token', (link: URL) => ({ email: link.searchParams.get('email') }), 400, 'auth/validation-error'],
  ])('A29 refuses %s', async (_, body, status, code) => {
    const user = await settled(signUp(t));
    await settled(t.request('POST', '/v1/auth/email/verify/send', { body: { email: user.email, callbackUrl: APP } }));
    const link = linkIn(mailer.last(user.email));
    const res = await t.request('POST', '/v1/auth/email/verify/confirm', { body: body(link) });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  });

  it('A29 and A32 refuse a link older than 24 hours with auth/token-expired', async () => {
    const user = await settled(signUp(t));
    const link = linkIn(mailer.last(user.email));
    t.clock.advance(24 * 3600_000 + 1);
    const viaGet = await t.request('GET', local(link), { key: null });
    expect(viaGet.status).toBe(401);
    expect(viaGet.body.code).toBe('auth/token-expired');
    const viaPost = await t.request('POST', '/v1/auth/email/verify/confirm', { body: { email: user.email, token: link.searchParams.get('token') } });
    expect(viaPost.body.code).toBe('auth/token-expired');
  });

  it('requireEmailVerification (OP-10): sign-up answers { message, email } without tokens; sign-in waits for the link', async () => {
    const on = await t.request('PUT', '/v1/auth/providers/email', { key: TEST_SK, body: { requireEmailVerification: true } });
    expect(on.body.requireEmailVerification).toBe(true);
    try {
      const email = uniqueEmail('strict');
      const res = await settled(t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name: 'Strict' } }));
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ message: expect.any(String), email });
      const row = await t.ctx.db.selectFrom('users').select('id').where('email_normalized', '=', email).executeTakeFirstOrThrow();
      expect(await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', row.id).execute()).toEqual([]);

      const early = await signIn(t, email, STRONG_PASSWORD);
      expect(early.status).toBe(403);
      expect(early.body.code).toBe('auth/email-not-verified');
      expect((await t.request('GET', local(linkIn(mailer.last(email))), { key: null })).status).toBe(200);
      expect((await signIn(t, email, STRONG_PASSWORD)).status).toBe(200);
    } finally {
      await t.request('PUT', '/v1/auth/providers/email', { key: TEST_SK, body: { requireEmailVerification: false } });
    }
  });
});
