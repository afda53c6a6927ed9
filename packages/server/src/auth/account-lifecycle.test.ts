import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { promoteToAdmin, signIn, signUp, STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { enrollMfa } from '../../test/helpers/mfa.js';
import { ROOMY_EMAIL_LIMITS } from '../../test/helpers/recording-mailer.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { settleDeliveries } from '../email-flows/delivery.js';

const NEW_PASSWORD = 'Another-Strong-8-Phrase?';

describe.each(dialects)('A05 /me, A08 withdraw, A12 password change (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('A05 answers the SelfUser shape and nothing else', async () => {
    const user = await signUp(t, { name: 'Grace' });
    const res = await t.request('GET', '/v1/auth/me', { token: user.accessToken });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      ['bannedAt', 'createdAt', 'email', 'emailVerified', 'id', 'image', 'lastSignInAt', 'mfaEnabled', 'name', 'nickname', 'onboardingStatus', 'role', 'updatedAt'].sort(),
    );
    expect(res.body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(JSON.stringify(res.body)).not.toMatch(/argon2|password/i);
  });

  it.each([
    [{}, 'auth/unauthorized'],
    [{ authorization: 'Basic abc' }, 'auth/unauthorized'],
    [{ authorization: 'Bearer' }, 'auth/unauthorized'],
    [{ authorization: 'Bearer not.a.jwt' }, 'auth/invalid-token'],
    [{ authorization: 'Bearer abc' }, 'auth/invalid-token'],
  ])('A05 without a usable token %j → 401 %s', async (headers, code) => {
    const res = await t.request('GET', '/v1/auth/me', { headers });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe(code);
  });

  it('the secret key alone does not act as a user (auth-api.md §1.1)', async () => {
    const res = await t.request('GET', '/v1/auth/me', { key: TEST_SK });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth/unauthorized');
  });

  it('A12 changes the password and ends every session, the caller’s too', async () => {
    const user = await signUp(t);
    const other = await signIn(t, user.email, user.password);
    const res = await t.request('POST', '/v1/auth/password/change', { token: user.accessToken, body: { currentPassword: user.password, newPassword: NEW_PASSWORD } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['message']);
    for (const token of [user.accessToken, other.body.accessToken]) {
      const me = await t.request('GET', '/v1/auth/me', { token });
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('auth/invalid-token');
    }
    for (const refreshToken of [user.refreshToken, other.body.refreshToken]) {
      expect((await t.request('POST', '/v1/auth/refresh', { body: { refreshToken } })).body.code).toBe('auth/invalid-refresh-token');
    }
    expect((await signIn(t, user.email, user.password)).status).toBe(401);
    expect((await signIn(t, user.email, NEW_PASSWORD)).status).toBe(200);
  });

  it.each([
    [{ currentPassword: 'Wrong-Password-1!', newPassword: NEW_PASSWORD }, 401, 'auth/invalid-password'],
    [{ currentPassword: STRONG_PASSWORD, newPassword: STRONG_PASSWORD }, 400, 'auth/same-as-previous-password'],
    [{ currentPassword: STRONG_PASSWORD, newPassword: 'short' }, 400, 'auth/invalid-password-format'],
    [{ currentPassword: STRONG_PASSWORD, newPassword: 'Password123!' }, 400, 'auth/weak-password'],
    [{ currentPassword: STRONG_PASSWORD }, 400, 'auth/validation-error'],
    [{ currentPassword: '', newPassword: NEW_PASSWORD }, 400, 'auth/validation-error'],
  ])('A12 refuses %j with %i %s and changes nothing', async (body, status, code) => {
    const user = await signUp(t);
    const res = await t.request('POST', '/v1/auth/password/change', { token: user.accessToken, body });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200);
    expect((await signIn(t, user.email, user.password)).status).toBe(200);
  });

  it('A12 budgets wrong current passwords per user: the 6th try is 429 even with the right one', async () => {
    const user = await signUp(t);
    for (let i = 0; i < 5; i++) {
      const res = await t.request('POST', '/v1/auth/password/change', { token: user.accessToken, body: { currentPassword: `Wrong-${i}-Password!`, newPassword: NEW_PASSWORD } });
      expect(res.body.code).toBe('auth/invalid-password');
    }
    const res = await t.request('POST', '/v1/auth/password/change', { token: user.accessToken, body: { currentPassword: user.password, newPassword: NEW_PASSWORD } });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('auth/too-many-requests');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect((await signIn(t, user.email, user.password)).status).toBe(200);
  });

  it('A08 soft-deletes: tokens die, the email is free again, the row is kept without its password', async () => {
    const user = await signUp(t);
    const res = await t.request('DELETE', '/v1/auth/withdraw', { token: user.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: expect.any(String) });
    const me = await t.request('GET', '/v1/auth/me', { token: user.accessToken });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('auth/invalid-token');
    expect((await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } })).body.code).toBe('auth/invalid-refresh-token');
    expect((await t.request('DELETE', '/v1/auth/withdraw', { token: user.accessToken })).status).toBe(401);
    const row = await t.ctx.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    expect(row.password_hash).toBeNull();
    expect(await t.ctx.db.selectFrom('accounts').select('id').where('user_id', '=', user.id).execute()).toHaveLength(0);
    const again = await signUp(t, { email: user.email });
    expect(again.id).not.toBe(user.id);
  });

  it('A08 by the last admin → 403 auth/forbidden and nothing changes', async () => {
    await t.ctx.db.updateTable('users').set({ role: 'user' }).where('role', '=', 'admin').execute();
    const admin = await signUp(t);
    await promoteToAdmin(t, admin.id);
    const res = await t.request('DELETE', '/v1/auth/withdraw', { token: admin.accessToken });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('auth/forbidden');
    expect((await t.request('GET', '/v1/auth/me', { token: admin.accessToken })).status).toBe(200);
    const second = await signUp(t);
    await promoteToAdmin(t, second.id);
    expect((await t.request('DELETE', '/v1/auth/withdraw', { token: admin.accessToken })).status).toBe(200);
  });
});

// A08 effects (auth-api.md: "MFA secret, backup codes, pending tokens (reset, verification, magic link)
// deleted"); U05 has the same effects (delete-user.ts serves both).
describe.each(dialects)('A08 / U05 erase the second factor and the pending email tokens (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: { ...ROOMY_EMAIL_LIMITS, LATCH_RATE_MFA_USER: '1000/300' } });
  });
  afterAll(async () => {
    await t.close();
  });

  async function mfaLeftovers(userId: string) {
    const count = async (table: 'mfa_totp' | 'mfa_backup_codes' | 'mfa_challenges') =>
      (await t.ctx.db.selectFrom(table).select('user_id').where('user_id', '=', userId).execute()).length;
    const user = await t.ctx.db.selectFrom('users').select('mfa_enabled').where('id', '=', userId).executeTakeFirstOrThrow();
    return { totp: await count('mfa_totp'), backupCodes: await count('mfa_backup_codes'), challenges: await count('mfa_challenges'), mfaEnabled: Number(user.mfa_enabled) };
  }

  /** A user with MFA on and an open sign-in challenge (the 403 auth/mfa-required of A02). */
  async function userWithMfa() {
    const user = await signUp(t);
    await enrollMfa(t, user);
    expect((await signIn(t, user.email, user.password)).body.code).toBe('auth/mfa-required');
    expect(await mfaLeftovers(user.id)).toEqual({ totp: 1, backupCodes: 10, challenges: 1, mfaEnabled: 1 });
    return user;
  }

  it('A08 deletes the MFA secret, the backup codes and open challenges, and clears mfa_enabled', async () => {
    const user = await userWithMfa();
    expect((await t.request('DELETE', '/v1/auth/withdraw', { token: user.accessToken })).status).toBe(200);
    expect(await mfaLeftovers(user.id)).toEqual({ totp: 0, backupCodes: 0, challenges: 0, mfaEnabled: 0 });
  });

  it('U05 by an admin deletes the MFA secret, the backup codes and open challenges, and clears mfa_enabled', async () => {
    const user = await userWithMfa();
    expect((await t.request('DELETE', `/v1/users/${user.id}`, { key: TEST_SK })).status).toBe(200);
    expect(await mfaLeftovers(user.id)).toEqual({ totp: 0, backupCodes: 0, challenges: 0, mfaEnabled: 0 });
  });

  it("A08 deletes the account's pending reset, verification and magic-link tokens; another user's pending change is kept", async () => {
    const email = uniqueEmail('withdrawn');
    // Before the account exists, a magic link is sent to the address (a token acting on nobody yet).
    expect((await t.request('POST', '/v1/auth/email/signin', { body: { method: 'magiclink', email, callbackUrl: 'http://localhost:3000/auth/magic' } })).status).toBe(200);
    const user = await signUp(t, { email });
    expect((await t.request('POST', '/v1/auth/password/reset/request', { body: { email } })).status).toBe(200);
    await settleDeliveries(t.ctx);
    // Another account's pending move to this address (as A28 with a JWT writes it when no sign-up
    // verification voided it): that account's business, not the deleted one's.
    const other = await signUp(t);
    const now = t.clock.now();
    await t.ctx.db
      .insertInto('email_tokens')
      .values({ token_hash: `other-${other.id}`, purpose: 'email_verification', email_normalized: email, email, user_id: other.id, name: null, created_at: now, expires_at: now + 3_600_000, used_at: null })
      .execute();

    const tokens = () =>
      t.ctx.db
        .selectFrom('email_tokens')
        .select(['purpose', 'user_id'])
        .where((eb) => eb.or([eb('user_id', '=', user.id), eb('email_normalized', '=', email)]))
        .where('used_at', 'is', null)
        .orderBy('purpose')
        .orderBy('user_id')
        .execute();
    expect(await tokens()).toEqual([
      { purpose: 'email_verification', user_id: other.id },
      { purpose: 'magic_link', user_id: null },
      { purpose: 'password_reset', user_id: user.id },
      { purpose: 'signup_verification', user_id: user.id },
    ]);

    expect((await t.request('DELETE', '/v1/auth/withdraw', { token: user.accessToken })).status).toBe(200);
    expect(await tokens()).toEqual([{ purpose: 'email_verification', user_id: other.id }]);
    expect(await t.ctx.db.selectFrom('email_tokens').select('token_hash').where('user_id', '=', user.id).execute()).toEqual([]);
  });
});
