import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

describe.each(dialects)('A01 sign-up with password (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates the user and returns a token pair with 201', async () => {
    const email = uniqueEmail();
    const res = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name: ' Ada ' } });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
    expect(res.body.tokenType).toBe('Bearer');
    expect(res.body.expiresIn).toBe(3600);
    expect(res.body.refreshToken).toMatch(/^[A-Za-z0-9_-]{92}$/);
    const me = await t.request('GET', '/v1/auth/me', { token: res.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email, name: 'Ada', role: 'user', emailVerified: null, image: null, onboardingStatus: 'pending', mfaEnabled: false });
    const row = await t.ctx.db.selectFrom('users').select('password_hash').where('id', '=', me.body.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/);
    const session = await t.ctx.db.selectFrom('sessions').selectAll().where('user_id', '=', me.body.id).executeTakeFirstOrThrow();
    expect(session.refresh_token_hash).not.toContain(res.body.refreshToken);
    expect(session.refresh_token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    [{ method: 'password', email: 'not-an-email', password: STRONG_PASSWORD, name: 'x' }, 400, 'auth/invalid-email'],
    [{ method: 'password', email: uniqueEmail(), password: 'short', name: 'x' }, 400, 'auth/invalid-password-format'],
    [{ method: 'password', email: uniqueEmail(), password: 'Password1!', name: 'x' }, 400, 'auth/weak-password'],
    [{ method: 'password', email: uniqueEmail(), password: STRONG_PASSWORD }, 400, 'auth/validation-error'],
    [{ method: 'password', email: uniqueEmail(), password: STRONG_PASSWORD, name: '   ' }, 400, 'auth/validation-error'],
    [{ method: 'carrier-pigeon', email: uniqueEmail(), password: STRONG_PASSWORD, name: 'x' }, 400, 'auth/validation-error'],
    [{ email: uniqueEmail(), password: STRONG_PASSWORD, name: 'x' }, 400, 'auth/validation-error'],
  ])('refuses %j with %i %s', async (body, status, code) => {
    const res = await t.request('POST', '/v1/auth/email/signup', { body });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ success: false, statusCode: status, code, error: { code } });
  });

  it('reports every failed password rule on its own', async () => {
    const res = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email: uniqueEmail(), password: 'abc', name: 'x' } });
    expect(res.body.error.details.rules).toEqual(['minLength', 'uppercase', 'number', 'special']);
  });

  it('answers 409 for a taken email, case-insensitively', async () => {
    const email = uniqueEmail();
    await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name: 'x' } });
    const res = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email: `  ${email.toUpperCase()} `, password: STRONG_PASSWORD, name: 'y' } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('auth/email-already-exists');
  });

  it('writes the user, its email identity, the session and the audit event together', async () => {
    const email = uniqueEmail();
    const res = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name: 'x' } });
    expect(res.status).toBe(201);
    const user = await t.ctx.db.selectFrom('users').select('id').where('email_normalized', '=', email).executeTakeFirstOrThrow();
    const account = await t.ctx.db.selectFrom('accounts').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(account).toMatchObject({ provider: 'email', provider_account_id: email, email });
    const session = await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    const audit = await t.ctx.db.selectFrom('audit_log').selectAll().where('user_id', '=', user.id).execute();
    expect(audit).toEqual([expect.objectContaining({ event: 'user.signed_up', outcome: 'success', session_id: session.id, actor: 'user' })]);
  });

  it('lets one of several concurrent sign-ups for one address win; the others get 409 and leave nothing', async () => {
    const email = uniqueEmail();
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) => t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    for (const lost of results.filter((r) => r.status === 409)) expect(lost.body.code).toBe('auth/email-already-exists');
    const users = await t.ctx.db.selectFrom('users').select('id').where('email_normalized', '=', email).execute();
    expect(users).toHaveLength(1);
    expect(await t.ctx.db.selectFrom('accounts').select('id').where('provider_account_id', '=', email).execute()).toHaveLength(1);
    expect(await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', users[0]!.id).execute()).toHaveLength(1);
  });

  it('writes nothing when a later part of the sign-up fails (the email identity is held by another user)', async () => {
    const holder = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email: uniqueEmail(), password: STRONG_PASSWORD, name: 'x' } });
    const holderId = (await t.request('GET', '/v1/auth/me', { token: holder.body.accessToken })).body.id;
    const email = uniqueEmail();
    // The address is free among users, but an `email` identity for it already exists: the user row goes in
    // first, the identity's unique index then refuses, and the user row must not survive.
    await t.ctx.db.insertInto('accounts').values({ id: `acc-${email}`, user_id: holderId, provider: 'email', provider_account_id: email, email, created_at: Date.now() }).execute();
    const count = async (table: 'audit_log' | 'sessions') => (await t.ctx.db.selectFrom(table).select('id').execute()).length;
    const before = { audit: await count('audit_log'), sessions: await count('sessions') };
    const res = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name: 'x' } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('auth/email-already-exists');
    expect(await t.ctx.db.selectFrom('users').select('id').where('email_normalized', '=', email).execute()).toEqual([]);
    expect({ audit: await count('audit_log'), sessions: await count('sessions') }).toEqual(before);
  });
});

describe.each(dialects)('A01 sign-up budget per IP (%s)', (dialect) => {
  it('the 4th password sign-up from one IP in an hour is 429 before any validation, with Retry-After', async () => {
    const t = await createTestApp(dialect, { env: { LATCH_RATE_SIGNUP_IP: '3/3600' } });
    try {
      const ip = '192.0.2.44';
      for (let i = 0; i < 3; i++) {
        const res = await t.request('POST', '/v1/auth/email/signup', { ip, body: { method: 'password', email: uniqueEmail(), password: STRONG_PASSWORD, name: 'x' } });
        expect(res.status).toBe(201);
      }
      const invalid = await t.request('POST', '/v1/auth/email/signup', { ip, body: { method: 'password', email: 'not-an-email', password: 'x', name: 'x' } });
      expect(invalid.status).toBe(429);
      expect(invalid.body.code).toBe('auth/too-many-requests');
      expect(Number(invalid.headers['retry-after'])).toBeGreaterThan(0);
      const other = await t.request('POST', '/v1/auth/email/signup', { ip: '192.0.2.45', body: { method: 'password', email: uniqueEmail(), password: STRONG_PASSWORD, name: 'x' } });
      expect(other.status).toBe(201);
    } finally {
      await t.close();
    }
  });

  it('refuses email addresses with bidi or zero-width format characters', async () => {
    const t = await createTestApp(dialect);
    try {
      for (const email of ['ad\u202Emin@example.test', 'a\u200Bb@example.test']) {
        const res = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name: 'x' } });
        expect(res.body.code).toBe('auth/invalid-email');
      }
    } finally {
      await t.close();
    }
  });
});
