import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../crypto/password.js';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp, STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

describe.each(dialects)('A02 sign-in with password (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('returns a fresh token pair and a new session each time', async () => {
    const user = await signUp(t);
    const a = await signIn(t, user.email, user.password);
    const b = await signIn(t, user.email.toUpperCase(), user.password);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(Object.keys(a.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
    expect(a.body.refreshToken).not.toBe(b.body.refreshToken);
    const sessions = await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
    expect(sessions).toHaveLength(3);
    const me = await t.request('GET', '/v1/auth/me', { token: b.body.accessToken });
    expect(me.body.lastSignInAt).not.toBeNull();
  });

  it('writes the sign-in time, the session and its audit event together', async () => {
    const user = await signUp(t);
    await t.ctx.db.updateTable('users').set({ last_sign_in_at: 1 }).where('id', '=', user.id).execute();
    const res = await t.request('POST', '/v1/auth/email/signin', {
      body: { method: 'password', email: user.email, password: user.password },
      headers: { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15' },
    });
    expect(res.status).toBe(200);
    const session = await t.ctx.db
      .selectFrom('sessions').selectAll().where('user_id', '=', user.id).where('user_agent', 'like', '%Safari%').executeTakeFirstOrThrow();
    expect(session).toMatchObject({ refresh_generation: 0, revoked_at: null, org_id: null, current_token_sealed: null, ip_address: expect.any(String) });
    expect(session.device_info).toContain('Safari');
    expect(session.expires_at - session.created_at).toBe(t.ctx.config.refreshTokenTtl * 1000);
    const row = await t.ctx.db.selectFrom('users').select('last_sign_in_at').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.last_sign_in_at).toBe(session.created_at);
    const audit = await t.ctx.db.selectFrom('audit_log').selectAll().where('session_id', '=', session.id).execute();
    expect(audit).toEqual([
      expect.objectContaining({ event: 'user.signed_in', outcome: 'success', user_id: user.id, actor: 'user', details: '{"method":"password"}', created_at: session.created_at }),
    ]);
    // The refresh token handed out is the one whose hash the session row keeps.
    expect((await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: res.body.refreshToken } })).status).toBe(200);
  });

  it('answers one code and one message for unknown email, wrong password, deleted user and password-less account', async () => {
    const user = await signUp(t);
    const deleted = await signUp(t);
    await t.request('DELETE', '/v1/auth/withdraw', { token: deleted.accessToken });
    const passwordless = uniqueEmail('social');
    await t.ctx.db
      .insertInto('users')
      .values({
        id: 'u-passwordless-' + dialect, email: passwordless, email_normalized: passwordless, name: 'S', nickname: null, role: 'user',
        email_verified_at: null, image: null, onboarding_status: 'pending', password_hash: null, password_changed_at: null, mfa_enabled: 0,
        banned_at: null, deleted_at: null, last_sign_in_at: null, created_at: 1, updated_at: 1,
      })
      .execute();
    const answers = await Promise.all([
      signIn(t, uniqueEmail('nobody'), STRONG_PASSWORD),
      signIn(t, user.email, `${STRONG_PASSWORD}x`),
      signIn(t, deleted.email, deleted.password),
      signIn(t, passwordless, STRONG_PASSWORD),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth/invalid-credentials');
      expect(res.body.message).toBe(answers[0].body.message);
    }
  });

  it.each([
    [{ method: 'password', email: 'nope', password: 'x' }, 400, 'auth/invalid-email'],
    [{ method: 'password', email: 'a@b.co' }, 400, 'auth/validation-error'],
    [{ method: 'password', email: 'a@b.co', password: '' }, 400, 'auth/validation-error'],
    [{ method: 'password', email: 'a@b.co', password: 'x'.repeat(129) }, 400, 'auth/validation-error'],
    [{ method: 'password', password: 'x' }, 400, 'auth/validation-error'],
    [{ method: 'sms', email: 'a@b.co', password: 'x' }, 400, 'auth/validation-error'],
    [{ method: 'password', email: ['a@b.co'], password: 'x' }, 400, 'auth/validation-error'],
  ])('refuses %j with %i %s', async (body, status, code) => {
    const res = await t.request('POST', '/v1/auth/email/signin', { body });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  });

  it('reveals a ban only to a caller who knows the password', async () => {
    const user = await signUp(t);
    await t.ctx.db.updateTable('users').set({ banned_at: t.clock.now() }).where('id', '=', user.id).execute();
    expect((await signIn(t, user.email, 'Wrong-Password-1!')).body.code).toBe('auth/invalid-credentials');
    const res = await signIn(t, user.email, user.password);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('auth/account-banned');
  });

  it('refuses an expired password only after the right password (expirationDays)', async () => {
    const user = await signUp(t);
    await t.ctx.db.updateTable('users').set({ password_changed_at: t.clock.now() - 40 * 86_400_000 }).where('id', '=', user.id).execute();
    await t.ctx.db
      .insertInto('settings')
      .values({ key: 'provider:email', value: JSON.stringify({ passwordPolicy: { expirationDays: 30 } }), updated_at: 1 })
      .execute();
    try {
      expect((await signIn(t, user.email, 'Wrong-Password-1!')).body.code).toBe('auth/invalid-credentials');
      const res = await signIn(t, user.email, user.password);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('auth/password-expired');
    } finally {
      await t.ctx.db.deleteFrom('settings').where('key', '=', 'provider:email').execute();
    }
  });
});

describe.each(dialects)('password hashing on sign-in (%s)', (dialect) => {
  it('re-hashes with the current parameters after a successful sign-in', async () => {
    const first = await createTestApp(dialect, { env: { LATCH_PASSWORD_HASH: 'argon2id:m=64,t=1,p=1' } });
    const user = await signUp(first);
    const before = await first.ctx.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(before.password_hash).toContain('m=64,t=1,p=1');
    // An operator raises LATCH_PASSWORD_HASH: the same database, a hasher with new parameters.
    first.ctx.passwords = new PasswordHasher({ memoryCost: 128, timeCost: 2, parallelism: 1 });
    const res = await signIn(first, user.email, user.password);
    expect(res.status).toBe(200);
    const after = await first.ctx.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(after.password_hash).toContain('m=128,t=2,p=1');
    expect((await signIn(first, user.email, user.password)).status).toBe(200);
    await first.close();
  });
});

describe('timing of sign-in for unknown vs known emails', () => {
  it('costs about the same (a real argon2id verify either way)', async () => {
    // Costlier parameters than the other tests so that the hash dominates the measurement.
    const t = await createTestApp('sqlite', { env: { LATCH_PASSWORD_HASH: 'argon2id:m=8192,t=2,p=1' } });
    try {
      const user = await signUp(t);
      const time = async (email: string) => {
        const started = process.hrtime.bigint();
        const res = await signIn(t, email, 'Wrong-Password-1!');
        expect(res.status).toBe(401);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      await time(uniqueEmail()); // warm the dummy hash
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 8; i++) {
        known.push(await time(user.email));
        unknown.push(await time(uniqueEmail()));
      }
      // Other test files share the hashing threads and the cores: their noise only ever adds time, so
      // each path's fastest run is its own cost (a median flaked under a loaded parallel run).
      const ratio = Math.min(...unknown) / Math.min(...known);
      expect(ratio).toBeGreaterThan(0.6);
      expect(ratio).toBeLessThan(1.6);
    } finally {
      await t.close();
    }
  });
});
