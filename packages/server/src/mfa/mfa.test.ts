import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp, STRONG_PASSWORD } from '../../test/helpers/factories.js';
import { currentCode, enrollMfa } from '../../test/helpers/mfa.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { stepAt, totpCodeAt } from './totp.js';

describe.each(dialects)('MFA set-up and password sign-in A02, A15–A17 (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: { LATCH_RATE_MFA_USER: '1000/300' } });
  });
  afterAll(async () => {
    await t.close();
  });

  async function mfaEnabled(token: string): Promise<boolean> {
    return (await t.request('GET', '/v1/auth/me', { token })).body.mfaEnabled;
  }

  it('A15 returns a Base32 secret, the otpauth URI, a QR PNG and 10 backup codes; nothing is active yet', async () => {
    const user = await signUp(t);
    const res = await t.request('POST', '/v1/auth/mfa/enable', { token: user.accessToken, body: { password: user.password } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['backupCodes', 'qrCode', 'qrCodeUrl', 'secret']);
    expect(res.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(res.body.qrCodeUrl);
    expect(uri.protocol).toBe('otpauth:');
    expect(decodeURIComponent(uri.pathname)).toContain(`Latch:${user.email}`);
    expect(uri.searchParams.get('secret')).toBe(res.body.secret);
    expect(uri.searchParams.get('issuer')).toBe('Latch');
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
    expect(res.body.qrCode).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(res.body.qrCode.split(',')[1], 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(res.body.backupCodes).toHaveLength(10);
    for (const code of res.body.backupCodes) expect(code).toMatch(/^[a-z0-9]{8}$/);
    expect(new Set(res.body.backupCodes).size).toBe(10);
    expect(await mfaEnabled(user.accessToken)).toBe(false);
    // Sealed at rest: neither the secret nor a backup code appears in the database.
    const row = await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(res.body.secret);
    expect(JSON.stringify(row)).not.toContain(res.body.backupCodes[0]);
    expect(row.status).toBe('pending');
  });

  it('A16 activates with a current code, returns the same backup codes and stores them hashed', async () => {
    const user = await signUp(t);
    const enable = await t.request('POST', '/v1/auth/mfa/enable', { token: user.accessToken, body: { password: user.password } });
    const confirm = await t.request('POST', '/v1/auth/mfa/confirm', { token: user.accessToken, body: { code: currentCode(t, enable.body.secret) } });
    expect(confirm.status).toBe(200);
    expect(confirm.body).toEqual({ backupCodes: enable.body.backupCodes });
    expect(await mfaEnabled(user.accessToken)).toBe(true);
    const codes = await t.ctx.db.selectFrom('mfa_backup_codes').selectAll().where('user_id', '=', user.id).execute();
    expect(codes).toHaveLength(10);
    for (const row of codes) expect(row.code_hash).toMatch(/^\$argon2id\$/);
    const totp = await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(totp.pending_codes_sealed).toBeNull();
  });

  it('a new enable call replaces the pending secret', async () => {
    const user = await signUp(t);
    const first = await t.request('POST', '/v1/auth/mfa/enable', { token: user.accessToken, body: { password: user.password } });
    const second = await t.request('POST', '/v1/auth/mfa/enable', { token: user.accessToken, body: { password: user.password } });
    expect(second.body.secret).not.toBe(first.body.secret);
    const stale = await t.request('POST', '/v1/auth/mfa/confirm', { token: user.accessToken, body: { code: currentCode(t, first.body.secret) } });
    expect(stale.body.code).toBe('auth/invalid-mfa-code');
    expect((await t.request('POST', '/v1/auth/mfa/confirm', { token: user.accessToken, body: { code: currentCode(t, second.body.secret) } })).status).toBe(200);
  });

  it('A15–A17 error cases', async () => {
    const user = await signUp(t);
    const cases: Array<[string, unknown, number, string]> = [
      ['/v1/auth/mfa/enable', { password: 'Wrong-Password-1!' }, 401, 'auth/invalid-credentials'],
      ['/v1/auth/mfa/enable', {}, 400, 'auth/validation-error'],
      ['/v1/auth/mfa/confirm', { code: '123456' }, 400, 'auth/mfa-setup-expired'],
      ['/v1/auth/mfa/disable', { password: user.password, code: '123456' }, 400, 'auth/mfa-not-enabled'],
    ];
    for (const [url, body, status, code] of cases) {
      const res = await t.request('POST', url, { token: user.accessToken, body });
      expect([url, res.status, res.body.code]).toEqual([url, status, code]);
    }
    const anonymous = await t.request('POST', '/v1/auth/mfa/enable', { body: { password: user.password } });
    expect(anonymous.body.code).toBe('auth/unauthorized');
  });

  it('a pending set-up expires after 10 minutes', async () => {
    const user = await signUp(t);
    const enable = await t.request('POST', '/v1/auth/mfa/enable', { token: user.accessToken, body: { password: user.password } });
    t.clock.advance(10 * 60_000 + 1);
    const res = await t.request('POST', '/v1/auth/mfa/confirm', { token: user.accessToken, body: { code: currentCode(t, enable.body.secret) } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('auth/mfa-setup-expired');
  });

  it('a wrong confirm code is 401 auth/invalid-mfa-code; enabling twice is 400 auth/mfa-already-enabled', async () => {
    const user = await signUp(t);
    const enable = await t.request('POST', '/v1/auth/mfa/enable', { token: user.accessToken, body: { password: user.password } });
    const wrong = totpCodeAt(enable.body.secret, stepAt(t.clock.now()) + 5);
    expect((await t.request('POST', '/v1/auth/mfa/confirm', { token: user.accessToken, body: { code: wrong } })).body.code).toBe('auth/invalid-mfa-code');
    await t.request('POST', '/v1/auth/mfa/confirm', { token: user.accessToken, body: { code: currentCode(t, enable.body.secret) } });
    for (const [url, body] of [
      ['/v1/auth/mfa/enable', { password: user.password }],
      ['/v1/auth/mfa/confirm', { code: currentCode(t, enable.body.secret) }],
    ] as const) {
      const res = await t.request('POST', url, { token: user.accessToken, body });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('auth/mfa-already-enabled');
    }
  });

  it('codes within ±1 step of clock drift are accepted, farther ones are not', async () => {
    const user = await signUp(t);
    const { secret } = await enrollMfa(t, user);
    const step = stepAt(t.clock.now());
    const far = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password, mfaCode: totpCodeAt(secret, step + 2) } });
    expect(far.body.code).toBe('auth/invalid-mfa-code');
    const drift = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password, mfaCode: totpCodeAt(secret, step + 1) } });
    expect(drift.status).toBe(200);
  });

  it('A02: with MFA on, no code → 403 auth/mfa-required + mfaToken; TOTP, spaced input and backup codes sign in', async () => {
    const user = await signUp(t);
    const { secret, backupCodes } = await enrollMfa(t, user);
    const bare = await signIn(t, user.email, user.password);
    expect(bare.status).toBe(403);
    expect(bare.body.code).toBe('auth/mfa-required');
    expect(bare.body.error.details.mfaToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const wrongPassword = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: 'Nope-Nope-1!', mfaCode: currentCode(t, secret) } });
    expect(wrongPassword.body.code).toBe('auth/invalid-credentials');

    const code = currentCode(t, secret);
    const spaced = `${code.slice(0, 3)} ${code.slice(3)}`;
    const ok = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password, mfaCode: spaced } });
    expect(ok.status).toBe(200);
    expect(ok.body.tokenType).toBe('Bearer');

    const backup = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password, mfaCode: backupCodes[3].toUpperCase() } });
    expect(backup.status).toBe(200);
    const left = await t.ctx.db.selectFrom('mfa_backup_codes').select('id').where('user_id', '=', user.id).where('used_at', 'is', null).execute();
    expect(left).toHaveLength(9);
  });

  it('the mfaToken challenge: retry A04 with { mfaToken, mfaCode } on any provider path', async () => {
    const user = await signUp(t);
    const { secret } = await enrollMfa(t, user);
    for (const provider of ['google', 'github']) {
      const challenge = await signIn(t, user.email, user.password);
      const res = await t.request('POST', `/v1/auth/${provider}/callback`, { body: { mfaToken: challenge.body.error.details.mfaToken, mfaCode: currentCode(t, secret) } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', is_new_user: false });
      expect((await t.request('GET', '/v1/auth/me', { token: res.body.accessToken })).body.id).toBe(user.id);
      t.clock.advance(30_000);
    }
  });

  it('A17 needs password and a code; then sign-in needs one factor again', async () => {
    const user = await signUp(t);
    const { secret, backupCodes } = await enrollMfa(t, user);
    const cases: Array<[unknown, number, string]> = [
      [{ password: user.password }, 400, 'auth/validation-error'],
      [{ password: 'Wrong-Password-1!', code: currentCode(t, secret) }, 401, 'auth/invalid-credentials'],
      [{ password: user.password, code: '000000' === currentCode(t, secret) ? '111111' : '000000' }, 401, 'auth/invalid-mfa-code'],
    ];
    for (const [body, status, code] of cases) {
      const res = await t.request('POST', '/v1/auth/mfa/disable', { token: user.accessToken, body });
      expect([res.status, res.body.code]).toEqual([status, code]);
    }
    const off = await t.request('POST', '/v1/auth/mfa/disable', { token: user.accessToken, body: { password: user.password, code: backupCodes[0] } });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({});
    expect(await mfaEnabled(user.accessToken)).toBe(false);
    expect((await signIn(t, user.email, user.password)).status).toBe(200);
    for (const table of ['mfa_totp', 'mfa_backup_codes', 'mfa_challenges'] as const) {
      expect(await t.ctx.db.selectFrom(table).select('user_id').where('user_id', '=', user.id).execute()).toHaveLength(0);
    }
  });

  it('a user without a password (social only) cannot enable MFA until they set one (OP-17)', async () => {
    const user = await signUp(t);
    await t.ctx.db.updateTable('users').set({ password_hash: null }).where('id', '=', user.id).execute();
    t.ctx.cache.forgetUser(user.id);
    const res = await t.request('POST', '/v1/auth/mfa/enable', { token: user.accessToken, body: { password: STRONG_PASSWORD } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth/invalid-credentials');
  });

  it('backup codes run out: 400 auth/mfa-backup-codes-exhausted', async () => {
    const user = await signUp(t);
    const { backupCodes } = await enrollMfa(t, user);
    for (const code of backupCodes) {
      expect((await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password, mfaCode: code } })).status).toBe(200);
    }
    const res = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password, mfaCode: 'abcd1234' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('auth/mfa-backup-codes-exhausted');
  });
});

describe.each(dialects)('MFA disable without a code when relaxed (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: { LATCH_MFA_DISABLE_REQUIRES_CODE: 'false', LATCH_MFA_ISSUER: 'Acme' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('LATCH_MFA_DISABLE_REQUIRES_CODE=false accepts the password alone; LATCH_MFA_ISSUER names the issuer', async () => {
    const user = await signUp(t);
    const enable = await t.request('POST', '/v1/auth/mfa/enable', { token: user.accessToken, body: { password: user.password } });
    expect(new URL(enable.body.qrCodeUrl).searchParams.get('issuer')).toBe('Acme');
    await t.request('POST', '/v1/auth/mfa/confirm', { token: user.accessToken, body: { code: currentCode(t, enable.body.secret) } });
    const res = await t.request('POST', '/v1/auth/mfa/disable', { token: user.accessToken, body: { password: user.password } });
    expect(res.status).toBe(200);
  });
});
