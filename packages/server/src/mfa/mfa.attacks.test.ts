import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp, type SignedUpUser } from '../../test/helpers/factories.js';
import { currentCode, enrollMfa, type Enrolment } from '../../test/helpers/mfa.js';
import { browserSignIn, startLocalProviders, uniqueIdentity, type Identity } from '../../test/helpers/oauth-providers.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { settleDeliveries } from '../email-flows/delivery.js';
import { enableMfa } from './setup.js';
import { stepAt, totpCodeAt } from './totp.js';
import { SECRET_PURPOSE } from './verify.js';

const CLIENT_CALLBACK = 'http://localhost:3000/oauth/callback';

function wrongCode(t: TestApp, secret: string): string {
  const right = currentCode(t, secret);
  return right === '000000' ? '111111' : '000000';
}

describe.each(dialects)('MFA attacks (%s)', (dialect) => {
  let t: TestApp;
  let providers: Awaited<ReturnType<typeof startLocalProviders>>;

  beforeAll(async () => {
    providers = await startLocalProviders({ now: () => t.clock.now() });
    // A generous per-user budget here; the brute-force limit has its own app below.
    t = await createTestApp(dialect, {
      // Sign-up already mails the address once; the magic-link sends here must not hit the email budgets.
      env: { ...providers.env(), LATCH_RATE_MFA_USER: '1000/300', LATCH_RATE_EMAIL_INTERVAL: '100/60', LATCH_RATE_EMAIL_ADDRESS: '100/3600' },
    });
  });
  afterAll(async () => {
    await t.close();
    await providers.stop();
  });

  function passwordSignIn(user: SignedUpUser, mfaCode?: string) {
    return t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password, mfaCode } });
  }

  async function challengeFor(user: SignedUpUser): Promise<string> {
    const res = await signIn(t, user.email, user.password);
    expect(res.status).toBe(403);
    return res.body.error.details.mfaToken;
  }

  describe('TOTP replay', () => {
    it('a code accepted once is refused again within its window', async () => {
      const user = await signUp(t);
      const { secret } = await enrollMfa(t, user);
      const code = currentCode(t, secret);
      expect((await passwordSignIn(user, code)).status).toBe(200);
      t.clock.advance(10_000);
      const replay = await passwordSignIn(user, code);
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('auth/invalid-mfa-code');
      // An earlier step's code (still inside the drift window) is refused too: steps only move forward.
      const earlier = totpCodeAt(secret, stepAt(t.clock.now()) - 1);
      expect((await passwordSignIn(user, earlier)).body.code).toBe('auth/invalid-mfa-code');
      t.clock.advance(30_000);
      expect((await passwordSignIn(user, currentCode(t, secret))).status).toBe(200);
    });

    it('the code that confirmed set-up cannot sign in', async () => {
      const user = await signUp(t);
      const enable = await t.request('POST', '/v1/auth/mfa/enable', { token: user.accessToken, body: { password: user.password } });
      const code = currentCode(t, enable.body.secret);
      expect((await t.request('POST', '/v1/auth/mfa/confirm', { token: user.accessToken, body: { code } })).status).toBe(200);
      expect((await passwordSignIn(user, code)).body.code).toBe('auth/invalid-mfa-code');
    });

    it('concurrent sign-ins with one code: exactly one wins', async () => {
      const user = await signUp(t);
      const { secret } = await enrollMfa(t, user);
      const code = currentCode(t, secret);
      const results = await Promise.all([1, 2, 3, 4].map(() => passwordSignIn(user, code)));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.body.code === 'auth/invalid-mfa-code')).toHaveLength(3);
    });
  });

  describe('A15 set-up under concurrency', () => {
    const enable = (user: SignedUpUser) => t.request('POST', '/v1/auth/mfa/enable', { token: user.accessToken, body: { password: user.password } });

    it('concurrent A15 enable calls all answer 200 and leave one pending set-up whose secret was answered', async () => {
      const user = await signUp(t);
      // The race (two inserts after two deletes) does not show on every burst: several bursts.
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(Array.from({ length: 6 }, () => enable(user)));
        expect(results.map((r) => [r.status, r.body.code])).toEqual(results.map(() => [200, undefined]));
        const rows = await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_id', '=', user.id).execute();
        expect(rows.map((row) => row.status)).toEqual(['pending']);
        // The stored secret is one of those answered, so its enrolment can be confirmed.
        expect(results.map((r) => r.body.secret)).toContain(t.ctx.sealer.open(SECRET_PURPOSE, rows[0]!.secret_sealed));
      }
      const stored = await t.ctx.db.selectFrom('mfa_totp').select('secret_sealed').where('user_id', '=', user.id).executeTakeFirstOrThrow();
      const code = currentCode(t, t.ctx.sealer.open(SECRET_PURPOSE, stored.secret_sealed));
      expect((await t.request('POST', '/v1/auth/mfa/confirm', { token: user.accessToken, body: { code } })).status).toBe(200);
    });

    it('an A15 that read the user before a concurrent A16 is refused as already enabled; the active secret is kept', async () => {
      const user = await signUp(t);
      const stale = await t.ctx.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
      const { secret } = await enrollMfa(t, user);
      const before = await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
      await expect(enableMfa(t.ctx, stale, user.password, { ip: null, userAgent: null })).rejects.toMatchObject({ code: 'auth/mfa-already-enabled' });
      expect(await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow()).toEqual(before);
      expect((await passwordSignIn(user, currentCode(t, secret))).status).toBe(200);
    });
  });

  describe('backup codes', () => {
    it('a backup code works once', async () => {
      const user = await signUp(t);
      const { backupCodes } = await enrollMfa(t, user);
      expect((await passwordSignIn(user, backupCodes[0])).status).toBe(200);
      const again = await passwordSignIn(user, backupCodes[0]);
      expect(again.status).toBe(401);
      expect(again.body.code).toBe('auth/invalid-mfa-code');
    });

    it('concurrent use of one backup code: exactly one wins', async () => {
      const user = await signUp(t);
      const { backupCodes } = await enrollMfa(t, user);
      const results = await Promise.all([1, 2, 3].map(() => passwordSignIn(user, backupCodes[5])));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    });

    it("another user's backup code is worthless", async () => {
      const alice = await signUp(t);
      const bob = await signUp(t);
      await enrollMfa(t, alice);
      const bobs = await enrollMfa(t, bob);
      expect((await passwordSignIn(alice, bobs.backupCodes[0])).body.code).toBe('auth/invalid-mfa-code');
    });
  });

  describe('the mfaToken challenge', () => {
    it('is voided after 5 wrong codes: even the right code is then refused', async () => {
      const user = await signUp(t);
      const { secret } = await enrollMfa(t, user);
      const mfaToken = await challengeFor(user);
      for (let i = 0; i < 5; i++) {
        const res = await t.request('POST', '/v1/auth/google/callback', { body: { mfaToken, mfaCode: wrongCode(t, secret) } });
        expect(res.body.code).toBe('auth/invalid-mfa-code');
      }
      const res = await t.request('POST', '/v1/auth/google/callback', { body: { mfaToken, mfaCode: currentCode(t, secret) } });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth/invalid-token');
    });

    it('is single use, expires after 5 minutes, and cannot be forged', async () => {
      const user = await signUp(t);
      const { secret, backupCodes } = await enrollMfa(t, user);
      const used = await challengeFor(user);
      expect((await t.request('POST', '/v1/auth/github/callback', { body: { mfaToken: used, mfaCode: backupCodes[0] } })).status).toBe(200);
      const reuse = await t.request('POST', '/v1/auth/github/callback', { body: { mfaToken: used, mfaCode: backupCodes[1] } });
      expect(reuse.body.code).toBe('auth/invalid-token');

      const late = await challengeFor(user);
      t.clock.advance(5 * 60_000 + 1);
      const expired = await t.request('POST', '/v1/auth/github/callback', { body: { mfaToken: late, mfaCode: currentCode(t, secret) } });
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe('auth/token-expired');

      for (const mfaToken of ['A'.repeat(43), 'short', `${late}x`]) {
        const forged = await t.request('POST', '/v1/auth/github/callback', { body: { mfaToken, mfaCode: currentCode(t, secret) } });
        expect(forged.body.code).toBe('auth/invalid-token');
      }
    });

    it("is bound to its user: another user's valid code does not redeem it", async () => {
      const alice = await signUp(t);
      const bob = await signUp(t);
      await enrollMfa(t, alice);
      const bobs = await enrollMfa(t, bob);
      const mfaToken = await challengeFor(alice);
      const res = await t.request('POST', '/v1/auth/google/callback', { body: { mfaToken, mfaCode: currentCode(t, bobs.secret) } });
      expect(res.body.code).toBe('auth/invalid-mfa-code');
    });

    it('two concurrent redemptions with different valid factors: one session only', async () => {
      const user = await signUp(t);
      const { secret, backupCodes } = await enrollMfa(t, user);
      const mfaToken = await challengeFor(user);
      const results = await Promise.all([
        t.request('POST', '/v1/auth/google/callback', { body: { mfaToken, mfaCode: currentCode(t, secret) } }),
        t.request('POST', '/v1/auth/google/callback', { body: { mfaToken, mfaCode: backupCodes[2] } }),
      ]);
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    });

    it('dies when the password changes (A12): a sign-in begun with the old password cannot finish', async () => {
      const user = await signUp(t);
      const { secret } = await enrollMfa(t, user);
      const mfaToken = await challengeFor(user);
      const change = await t.request('POST', '/v1/auth/password/change', { token: user.accessToken, body: { currentPassword: user.password, newPassword: 'Changed-After-Leak-77!' } });
      expect(change.status).toBe(200);
      const res = await t.request('POST', '/v1/auth/google/callback', { body: { mfaToken, mfaCode: currentCode(t, secret) } });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'auth/invalid-token' });
    });

    it('dies with a password reset too (A11)', async () => {
      const user = await signUp(t);
      // A verified address: the first proof of an unverified one drops MFA altogether (unproven-account.ts).
      await t.ctx.db.updateTable('users').set({ email_verified_at: t.clock.now() }).where('id', '=', user.id).execute();
      const { secret } = await enrollMfa(t, user);
      const mfaToken = await challengeFor(user);
      await t.request('POST', '/v1/auth/password/reset/request', { body: { email: user.email, callbackUrl: 'http://localhost:3000/reset' } });
      await settleDeliveries(t.ctx);
      const mail = await t.ctx.db.selectFrom('outbox').selectAll().where('to_address', '=', user.email).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirstOrThrow();
      const token = /token=([A-Za-z0-9_-]+)/.exec(mail.text_body)![1];
      const reset = await t.request('POST', '/v1/auth/password/reset/confirm', { body: { email: user.email, token, newPassword: 'Reset-After-Leak-77!' } });
      expect(reset.status).toBe(200);
      const res = await t.request('POST', '/v1/auth/google/callback', { body: { mfaToken, mfaCode: currentCode(t, secret) } });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'auth/invalid-token' });
    });

    it('an empty mfaCode is not a code', async () => {
      const user = await signUp(t);
      await enrollMfa(t, user);
      const res = await passwordSignIn(user, '');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('auth/mfa-required');
    });
  });

  describe('MFA bypass through OAuth (OP-13)', () => {
    let user: SignedUpUser;
    let enrolment: Enrolment;
    let identity: Identity;

    beforeAll(async () => {
      user = await signUp(t);
      identity = uniqueIdentity('mfa-oauth');
      const code = await providers.google.issueCode(identity, CLIENT_CALLBACK);
      expect((await t.request('POST', '/v1/auth/accounts', { token: user.accessToken, body: { provider: 'google', code, redirectUri: CLIENT_CALLBACK } })).status).toBe(201);
      enrolment = await enrollMfa(t, user);
    });

    it('redirect mode sends error=auth/mfa-required with an mfaToken, never tokens; the retry finishes it', async () => {
      providers.google.as(identity);
      const url = await browserSignIn(t, 'google');
      expect(url.searchParams.get('error')).toBe('auth/mfa-required');
      expect(url.searchParams.get('accessToken')).toBeNull();
      expect(url.searchParams.get('refreshToken')).toBeNull();
      const mfaToken = url.searchParams.get('mfaToken')!;
      expect(mfaToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const wrong = await t.request('POST', '/v1/auth/google/callback', { body: { mfaToken, mfaCode: wrongCode(t, enrolment.secret) } });
      expect(wrong.body.code).toBe('auth/invalid-mfa-code');
      const ok = await t.request('POST', '/v1/auth/google/callback', { body: { mfaToken, mfaCode: currentCode(t, enrolment.secret) } });
      expect(ok.status).toBe(200);
      expect(ok.body.is_new_user).toBe(false);
      expect((await t.request('GET', '/v1/auth/me', { token: ok.body.accessToken })).body.id).toBe(user.id);
      t.clock.advance(30_000);
    });

    it('the client-driven code form, the ID token form and A03 JSON mode all stop at 403', async () => {
      const code = await providers.google.issueCode(identity, CLIENT_CALLBACK);
      const viaCode = await t.request('POST', '/v1/auth/google/callback', { body: { code, redirectUri: CLIENT_CALLBACK } });
      const viaIdToken = await t.request('POST', '/v1/auth/google/callback', { body: { idToken: await providers.google.idToken(identity) } });
      const jsonCode = await providers.google.issueCode(identity, CLIENT_CALLBACK);
      const viaGet = await t.request('GET', `/v1/auth/google/callback?${new URLSearchParams({ code: jsonCode, state: 'client', redirectUri: CLIENT_CALLBACK })}`, { key: null });
      for (const res of [viaCode, viaIdToken, viaGet]) {
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('auth/mfa-required');
        expect(res.body.accessToken).toBeUndefined();
        expect(res.body.error.details.mfaToken).toBeTruthy();
      }
    });

    it('a wrong inline mfaCode is refused; a right one signs in', async () => {
      const bad = await t.request('POST', '/v1/auth/google/callback', { body: { code: await providers.google.issueCode(identity, CLIENT_CALLBACK), redirectUri: CLIENT_CALLBACK, mfaCode: wrongCode(t, enrolment.secret) } });
      expect(bad.status).toBe(401);
      expect(bad.body.code).toBe('auth/invalid-mfa-code');
      const good = await t.request('POST', '/v1/auth/google/callback', { body: { code: await providers.google.issueCode(identity, CLIENT_CALLBACK), redirectUri: CLIENT_CALLBACK, mfaCode: enrolment.backupCodes[9] } });
      expect(good.status).toBe(200);
    });
  });

  describe('MFA bypass through magic link (OP-13)', () => {
    async function magicToken(email: string): Promise<string> {
      const sent = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'magiclink', email, callbackUrl: 'http://localhost:3000/magic' } });
      expect([sent.status, sent.body.code]).toEqual([200, undefined]);
      await settleDeliveries(t.ctx);
      const mail = await t.ctx.db.selectFrom('outbox').selectAll().where('to_address', '=', email).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirstOrThrow();
      const match = /token=([A-Za-z0-9_-]+)/.exec(mail.text_body);
      expect(match).not.toBeNull();
      return match![1];
    }

    it('the link does not sign in without the second factor and is not consumed until it passes', async () => {
      const user = await signUp(t);
      const { secret } = await enrollMfa(t, user);
      const token = await magicToken(user.email);

      const first = await t.request('POST', '/v1/auth/email/callback', { body: { token } });
      expect(first.status).toBe(403);
      expect(first.body.code).toBe('auth/mfa-required');
      expect(first.body.accessToken).toBeUndefined();
      const mfaToken = first.body.error.details.mfaToken;

      const wrong = await t.request('POST', '/v1/auth/email/callback', { body: { mfaToken, mfaCode: wrongCode(t, secret) } });
      expect(wrong.body.code).toBe('auth/invalid-mfa-code');
      // Still unconsumed: asking again yields another challenge, not "invalid token".
      expect((await t.request('POST', '/v1/auth/email/callback', { body: { token } })).body.code).toBe('auth/mfa-required');

      const ok = await t.request('POST', '/v1/auth/email/callback', { body: { mfaToken, mfaCode: currentCode(t, secret) } });
      expect(ok.status).toBe(200);
      expect((await t.request('GET', '/v1/auth/me', { token: ok.body.accessToken })).body.id).toBe(user.id);

      const again = await t.request('POST', '/v1/auth/email/callback', { body: { token } });
      expect(again.status).toBe(401);
      expect(again.body.code).toBe('auth/invalid-token');
    });

    it('the challenge of a magic link can be finished on another provider path, and consumes the link', async () => {
      const user = await signUp(t);
      const { backupCodes } = await enrollMfa(t, user);
      const token = await magicToken(user.email);
      const mfaToken = (await t.request('POST', '/v1/auth/email/callback', { body: { token } })).body.error.details.mfaToken;
      const ok = await t.request('POST', '/v1/auth/github/callback', { body: { mfaToken, mfaCode: backupCodes[0] } });
      expect(ok.status).toBe(200);
      expect((await t.request('POST', '/v1/auth/email/callback', { body: { token } })).body.code).toBe('auth/invalid-token');
    });

    it('a challenge whose link was used meanwhile signs nobody in', async () => {
      const user = await signUp(t);
      const { secret, backupCodes } = await enrollMfa(t, user);
      const token = await magicToken(user.email);
      const a = (await t.request('POST', '/v1/auth/email/callback', { body: { token } })).body.error.details.mfaToken;
      const b = (await t.request('POST', '/v1/auth/email/callback', { body: { token } })).body.error.details.mfaToken;
      expect((await t.request('POST', '/v1/auth/email/callback', { body: { mfaToken: a, mfaCode: currentCode(t, secret) } })).status).toBe(200);
      const second = await t.request('POST', '/v1/auth/email/callback', { body: { mfaToken: b, mfaCode: backupCodes[0] } });
      expect(second.status).toBe(401);
      expect(second.body.code).toBe('auth/invalid-token');
    });
  });
});

describe.each(dialects)('MFA brute force (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('5 wrong codes in 5 minutes → 429 auth/too-many-requests with Retry-After, even for the right code; per user', async () => {
    const user = await signUp(t);
    const bystander = await signUp(t);
    const { secret } = await enrollMfa(t, user);
    const other = await enrollMfa(t, bystander);
    const attempt = (mfaCode: string, who = user) => t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: who.email, password: who.password, mfaCode } });
    for (let i = 0; i < 5; i++) expect((await attempt(wrongCode(t, secret))).body.code).toBe('auth/invalid-mfa-code');
    const blocked = await attempt(currentCode(t, secret));
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('auth/too-many-requests');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // The challenge route and MFA disable share the budget.
    const mfaToken = (await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password } })).body.error.details.mfaToken;
    expect((await t.request('POST', '/v1/auth/google/callback', { body: { mfaToken, mfaCode: currentCode(t, secret) } })).status).toBe(429);
    expect((await t.request('POST', '/v1/auth/mfa/disable', { token: user.accessToken, body: { password: user.password, code: currentCode(t, secret) } })).status).toBe(429);
    expect((await attempt(currentCode(t, other.secret), bystander)).status).toBe(200);
  });

  it('a right code clears the wrong ones before it', async () => {
    const user = await signUp(t);
    const { secret } = await enrollMfa(t, user);
    const attempt = (mfaCode: string) => t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password, mfaCode } });
    for (let round = 0; round < 2; round++) {
      // A new time step each round: a TOTP code signs in once.
      t.clock.advance(30_000);
      for (let i = 0; i < 4; i++) expect((await attempt(wrongCode(t, secret))).body.code).toBe('auth/invalid-mfa-code');
      expect((await attempt(currentCode(t, secret))).status).toBe(200);
    }
  });
});
