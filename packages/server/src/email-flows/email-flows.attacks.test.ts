import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/helpers/databases.js';
import { signIn, signUp, STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { currentCode, enrollMfa } from '../../test/helpers/mfa.js';
import { createTestApp, type ApiResponse, type TestApp } from '../../test/helpers/test-app.js';
import { settleDeliveries } from './delivery.js';
import { hashEmailToken } from './email-tokens.js';
import { consumeMagicLinkToken } from './magic-link.js';
import { linkIn, RecordingMailer, ROOMY_EMAIL_LIMITS } from '../../test/helpers/recording-mailer.js';

const APP = 'http://localhost:3000/cb';
const EVIL = 'https://evil.example/steal';
const SCRIPT_NAME = '<script>alert(document.cookie)</script><img src=x onerror=alert(1)>';

/** Headers that may differ between any two responses (request id, date). */
function comparable(res: ApiResponse) {
  const { 'x-request-id': _id, date: _date, ...headers } = res.headers;
  return { status: res.status, body: res.body, headers };
}

describe.each(dialects)('email flows under attack (%s)', (dialect) => {
  let t: TestApp;
  const mailer = new RecordingMailer();

  beforeAll(async () => {
    t = await createTestApp(dialect, { mailer, env: ROOMY_EMAIL_LIMITS });
  });
  afterAll(async () => {
    mailer.release();
    await t.close();
  });

  async function post(url: string, body: unknown) {
    const res = await t.request('POST', url, { body });
    await settleDeliveries(t.ctx);
    return res;
  }

  const tokenOf = (email: string, template: string) => linkIn(mailer.last(email, template)).searchParams.get('token')!;

  /** One live token of each kind for a fresh account, and how to redeem it. */
  const flows = {
    reset: {
      issue: async (email: string) => (await post('/v1/auth/password/reset/request', { email, callbackUrl: APP }), tokenOf(email, 'password_reset')),
      redeem: (email: string, token: string) => t.request('POST', '/v1/auth/password/reset/confirm', { body: { email, token, newPassword: 'Totally-New-Pass-3!' } }),
      reused: [404, 'auth/verification-token-not-found'],
      expired: [401, 'auth/verification-token-expired'],
      ttl: 15 * 60_000,
    },
    verify: {
      issue: async (email: string) => (await post('/v1/auth/email/verify/resend', { email, callbackUrl: APP }), tokenOf(email, 'email_verification')),
      redeem: (email: string, token: string) => t.request('POST', '/v1/auth/email/verify/confirm', { body: { email, token } }),
      reused: [400, 'auth/already-verified'],
      expired: [401, 'auth/token-expired'],
      ttl: 24 * 3600_000,
    },
    magic: {
      issue: async (email: string) => (await post('/v1/auth/email/signin', { method: 'magiclink', email, callbackUrl: APP }), tokenOf(email, 'magic_link')),
      redeem: (_email: string, token: string) => t.request('POST', '/v1/auth/email/callback', { body: { token } }),
      reused: [401, 'auth/invalid-token'],
      expired: [401, 'auth/token-expired'],
      ttl: 15 * 60_000,
    },
  } as const;

  describe.each(Object.keys(flows) as Array<keyof typeof flows>)('%s token', (name) => {
    const flow = flows[name];

    it('works once; a second use is refused', async () => {
      const user = await signUp(t);
      const token = await flow.issue(user.email);
      expect((await flow.redeem(user.email, token)).status).toBe(200);
      const again = await flow.redeem(user.email, token);
      expect([again.status, again.body.code]).toEqual(flow.reused);
    });

    it('is refused once expired (injected clock, no sleeping)', async () => {
      const user = await signUp(t);
      const token = await flow.issue(user.email);
      t.clock.advance(flow.ttl + 1);
      const res = await flow.redeem(user.email, token);
      expect([res.status, res.body.code]).toEqual(flow.expired);
    });

    it('two concurrent redemptions of one token: exactly one wins', async () => {
      const user = await signUp(t);
      const token = await flow.issue(user.email);
      const results = await Promise.all([flow.redeem(user.email, token), flow.redeem(user.email, token), flow.redeem(user.email, token)]);
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      for (const loser of results.filter((r) => r.status !== 200)) expect(loser.status).toBeGreaterThanOrEqual(400);
    });
  });

  describe('account pre-hijacking: the first proof of a never-verified address drops what was set up before it', () => {
    const magicSignIn = async (email: string) => flows.magic.redeem(email, await flows.magic.issue(email));
    const resetPassword = async (email: string) => flows.reset.redeem(email, await flows.reset.issue(email));
    const dropped = async (userId: string) =>
      (await t.ctx.db.selectFrom('audit_log').select('details').where('user_id', '=', userId).where('event', '=', 'account.unproven_setup_dropped').execute()).map((row) =>
        JSON.parse(row.details!),
      );
    const mfaRows = async (userId: string) => ({
      totp: (await t.ctx.db.selectFrom('mfa_totp').select('user_id').where('user_id', '=', userId).execute()).length,
      backupCodes: (await t.ctx.db.selectFrom('mfa_backup_codes').select('id').where('user_id', '=', userId).execute()).length,
    });

    /** The squatter registers the victim's address first (unverified) and keeps a session. */
    async function preHijack() {
      const squatter = await signUp(t, { email: uniqueEmail('victim'), password: 'Attacker-Knows-This-9!' });
      await settleDeliveries(t.ctx);
      expect((await t.request('GET', '/v1/auth/me', { token: squatter.accessToken })).body.emailVerified).toBeNull();
      return squatter;
    }

    it("magic link: once the real owner proves the inbox, the squatter's earlier session is gone", async () => {
      const squatter = await preHijack();
      const owner = await magicSignIn(squatter.email);
      expect([owner.status, owner.body.is_new_user]).toEqual([200, false]);
      expect((await t.request('GET', '/v1/auth/me', { token: squatter.accessToken })).status).toBe(401);
      expect((await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: squatter.refreshToken } })).status).toBe(401);
      // The owner's own new session works.
      expect((await t.request('GET', '/v1/auth/me', { token: owner.body.accessToken })).body.id).toBe(squatter.id);
    });

    it("magic link: the squatter's password no longer signs in; the email credential stays; one audit event says what went", async () => {
      const squatter = await preHijack();
      expect((await magicSignIn(squatter.email)).status).toBe(200);
      expect((await signIn(t, squatter.email, squatter.password)).body.code).toBe('auth/invalid-credentials');
      const accounts = await t.ctx.db.selectFrom('accounts').select('provider').where('user_id', '=', squatter.id).execute();
      expect(accounts).toEqual([{ provider: 'email' }]);
      expect(await dropped(squatter.id)).toEqual([{ proof: 'magic_link', linkedAccounts: [], mfa: false, password: true, sessions: 1 }]);
      // The owner sets a password of their own through the reset flow.
      expect((await resetPassword(squatter.email)).status).toBe(200);
      expect((await signIn(t, squatter.email, 'Totally-New-Pass-3!')).status).toBe(200);
    });

    it('magic link: an MFA set-up the squatter started (not yet confirmed) is dropped', async () => {
      const squatter = await preHijack();
      const enable = await t.request('POST', '/v1/auth/mfa/enable', { token: squatter.accessToken, body: { password: squatter.password } });
      expect(enable.status).toBe(200);
      expect((await mfaRows(squatter.id)).totp).toBe(1);
      expect((await magicSignIn(squatter.email)).status).toBe(200);
      expect(await mfaRows(squatter.id)).toEqual({ totp: 0, backupCodes: 0 });
      expect((await dropped(squatter.id))[0]).toMatchObject({ proof: 'magic_link', mfa: true });
    });

    it('password reset: an MFA authenticator the squatter enrolled does not survive recovery', async () => {
      const squatter = await preHijack();
      await enrollMfa(t, squatter);
      expect((await signIn(t, squatter.email, squatter.password)).body.code).toBe('auth/mfa-required');

      expect((await resetPassword(squatter.email)).status).toBe(200);
      const owner = await signIn(t, squatter.email, 'Totally-New-Pass-3!');
      expect(owner.status).toBe(200);
      expect(await mfaRows(squatter.id)).toEqual({ totp: 0, backupCodes: 0 });
      const user = await t.ctx.db.selectFrom('users').select(['mfa_enabled', 'email_verified_at']).where('id', '=', squatter.id).executeTakeFirstOrThrow();
      expect(Number(user.mfa_enabled)).toBe(0);
      expect(user.email_verified_at).not.toBeNull();
      expect(await dropped(squatter.id)).toEqual([{ proof: 'password_reset', linkedAccounts: [], mfa: true }]);
    });

    it('MFA switched on after the exchange checked for it does not count as passed: the setup is still dropped', async () => {
      const squatter = await preHijack();
      const token = await flows.magic.issue(squatter.email);
      // The race, in slow motion: the exchange saw no MFA (so asked for no code), then the squatter enabled it.
      await enrollMfa(t, squatter);
      const hash = hashEmailToken(token)!;
      await t.ctx.db.transaction().execute((trx) => consumeMagicLinkToken(t.ctx, trx, hash, undefined, { secondFactorPassed: false }));
      expect(await mfaRows(squatter.id)).toEqual({ totp: 0, backupCodes: 0 });
      expect((await t.request('GET', '/v1/auth/me', { token: squatter.accessToken })).status).toBe(401);
      expect((await signIn(t, squatter.email, squatter.password)).status).toBe(401);
    });

    it('two proofs at once (magic link and reset) drop once', async () => {
      const squatter = await preHijack();
      const magic = await flows.magic.issue(squatter.email);
      const reset = await flows.reset.issue(squatter.email);
      const [viaMagic, viaReset] = await Promise.all([flows.magic.redeem(squatter.email, magic), flows.reset.redeem(squatter.email, reset)]);
      expect([viaMagic.status, viaReset.status]).toEqual([200, 200]);
      // One proof is first. If the magic link wins it drops the password and sessions (one event); if the
      // reset wins there is nothing of the kind left to drop (it replaces both itself): no event.
      expect((await dropped(squatter.id)).length).toBeLessThanOrEqual(1);
      expect((await t.request('GET', '/v1/auth/me', { token: squatter.accessToken })).status).toBe(401);
      expect((await signIn(t, squatter.email, squatter.password)).status).toBe(401);
    });

    it('nothing is dropped for an account whose address was verified before', async () => {
      const user = await signUp(t);
      await settleDeliveries(t.ctx);
      const confirm = linkIn(mailer.last(user.email, 'signup_confirmation'));
      expect((await t.request('GET', `${confirm.pathname}${confirm.search}`, { key: null })).status).toBe(200);
      const { secret } = await enrollMfa(t, user);

      expect((await resetPassword(user.email)).status).toBe(200);
      expect(await mfaRows(user.id)).toEqual({ totp: 1, backupCodes: 10 });
      const again = await signIn(t, user.email, 'Totally-New-Pass-3!');
      expect(again.body.code).toBe('auth/mfa-required');
      expect((await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: 'Totally-New-Pass-3!', mfaCode: currentCode(t, secret) } })).status).toBe(200);
      expect(await dropped(user.id)).toEqual([]);
    });
  });

  it.each([
    ['a password change (A12)', 'change'],
    ['a password reset (A11)', 'reset'],
  ] as const)('a pending address change started with a stolen session dies with %s', async (_, how) => {
    const victim = await signUp(t);
    await settleDeliveries(t.ctx);
    const signupToken = tokenOf(victim.email, 'signup_confirmation');
    const inbox = uniqueEmail('attacker');
    // The attacker holds the victim's access token and asks to move the account to their inbox.
    const asked = await t.request('POST', '/v1/auth/email/verify/send', { token: victim.accessToken, body: { email: inbox, callbackUrl: APP } });
    expect(asked.status).toBe(200);
    await settleDeliveries(t.ctx);
    const stolen = tokenOf(inbox, 'email_verification');
    if (how === 'change') {
      const changed = await t.request('POST', '/v1/auth/password/change', {
        token: victim.accessToken,
        body: { currentPassword: victim.password, newPassword: 'Another-Strong-Pass-42!' },
      });
      expect(changed.status).toBe(200);
    } else {
      expect((await flows.reset.redeem(victim.email, await flows.reset.issue(victim.email))).status).toBe(200);
    }
    const res = await flows.verify.redeem(inbox, stolen);
    expect([res.status, res.body.code]).toEqual([401, 'auth/invalid-token']);
    const row = await t.ctx.db.selectFrom('users').select('email').where('id', '=', victim.id).executeTakeFirstOrThrow();
    expect(row.email).toBe(victim.email);
    // The link that verifies the current address is no change: a password change leaves it working.
    if (how === 'change') expect((await flows.verify.redeem(victim.email, signupToken)).status).toBe(200);
  });

  it('a token is bound to the address it was sent to', async () => {
    const victim = await signUp(t);
    const attacker = await signUp(t);
    const reset = await flows.reset.issue(victim.email);
    const viaReset = await flows.reset.redeem(attacker.email, reset);
    expect([viaReset.status, viaReset.body.code]).toEqual([404, 'auth/verification-token-not-found']);
    const verify = await flows.verify.issue(victim.email);
    const viaVerify = await flows.verify.redeem(attacker.email, verify);
    expect([viaVerify.status, viaVerify.body.code]).toEqual([401, 'auth/invalid-token']);
    // The attacker's own password still works and the victim's tokens are intact.
    expect((await flows.reset.redeem(victim.email, reset)).status).toBe(200);
  });

  it.each([
    ['A01-M', '/v1/auth/email/signup', { method: 'magiclink' }],
    ['A02-M', '/v1/auth/email/signin', { method: 'magiclink' }],
    ['A01-P', '/v1/auth/email/signup', { method: 'password', password: STRONG_PASSWORD, name: 'x' }],
    ['A10', '/v1/auth/password/reset/request', {}],
    ['A28', '/v1/auth/email/verify/send', {}],
    ['A30', '/v1/auth/email/verify/resend', {}],
    ['A31', '/v1/auth/signup/email/resend', {}],
  ])('%s refuses a callbackUrl off the allow-list and mails nothing', async (_, url, extra: { method?: string }) => {
    const user = await signUp(t);
    await settleDeliveries(t.ctx);
    const before = mailer.sent.length;
    for (const callbackUrl of [EVIL, 'http://localhost.evil.example/', 'https://localhost:3000/cb', '//evil.example/x', 'http://localhost:3000\\@evil.example/']) {
      const email = extra.method === 'password' ? uniqueEmail() : user.email;
      const res = await post(url, { email, callbackUrl, ...extra });
      expect([res.status, res.body.code]).toEqual([400, 'auth/invalid-redirect-url']);
      expect(res.headers.location).toBeUndefined();
    }
    expect(mailer.sent.slice(before)).toEqual([]);
    expect(mailer.sent.some((m) => `${m.text}${m.html}`.includes('evil.example'))).toBe(false);
  });

  it('renders a hostile name escaped in every template it reaches', async () => {
    const email = uniqueEmail('xss');
    await post('/v1/auth/email/signup', { method: 'password', email, password: STRONG_PASSWORD, name: SCRIPT_NAME });
    await post('/v1/auth/password/reset/request', { email, callbackUrl: APP });
    await post('/v1/auth/email/verify/resend', { email, callbackUrl: APP });
    await post('/v1/auth/email/signin', { method: 'magiclink', email, callbackUrl: APP });
    const mails = mailer.to(email);
    expect(mails.map((m) => m.template).sort()).toEqual(['email_verification', 'magic_link', 'password_reset', 'signup_confirmation']);
    for (const mail of mails) {
      expect(mail.html).not.toContain('<script>');
      expect(mail.html).not.toContain('<img src=x');
      if (mail.template !== 'magic_link') expect(mail.html).toContain('&lt;script&gt;alert(document.cookie)&lt;/script&gt;');
    }
  });

  it('reset and magic link answer unknown and known addresses identically, without waiting for the mail', async () => {
    const known = await signUp(t);
    await settleDeliveries(t.ctx);
    // Same length as the known address, so even Content-Length cannot differ.
    const unknown = `z${known.email.slice(1)}`;
    const cases = [
      // Reset: only a registered address gets mail.
      ['/v1/auth/password/reset/request', { callbackUrl: APP }, [known.email]],
      // Magic link: an unknown address gets its sign-up link too (OP-12).
      ['/v1/auth/email/signin', { method: 'magiclink', callbackUrl: APP }, [known.email, unknown]],
    ] as const;
    let ip = 10;
    for (const [url, extra, recipients] of cases) {
      mailer.hold();
      const before = mailer.sent.length;
      // Each from a fresh IP, so the caller's own per-IP budget (reported in X-RateLimit-*) starts equal.
      const forKnown = await t.request('POST', url, { body: { email: known.email, ...extra }, ip: `192.0.2.${(ip += 1)}` });
      const forUnknown = await t.request('POST', url, { body: { email: unknown, ...extra }, ip: `192.0.2.${(ip += 1)}` });
      // The answer came while the known address's mail was still held back: no timing difference
      // from an SMTP round trip can tell the two apart.
      expect(mailer.sent.length).toBe(before);
      expect(comparable(forUnknown)).toEqual({ ...comparable(forKnown), body: { ...forKnown.body, ...(forKnown.body.email ? { email: unknown } : {}) } });
      mailer.release();
      await settleDeliveries(t.ctx);
      expect(mailer.sent.slice(before).map((m) => m.to).sort()).toEqual([...recipients].sort());
    }
  });
});

describe.each(dialects)('email sending caps, auth-api.md §10 (%s)', (dialect) => {
  const callbackUrl = APP;

  it('spaces sends to one address by 60 s, counting unknown addresses the same (Retry-After)', async () => {
    const t = await createTestApp(dialect);
    try {
      const user = await signUp(t);
      const unknown = uniqueEmail('ghost');
      for (const email of [user.email, unknown]) {
        // The sign-up's confirmation already spent the known address's interval.
        if (email === unknown) expect((await t.request('POST', '/v1/auth/password/reset/request', { body: { email, callbackUrl } })).status).toBe(200);
        const res = await t.request('POST', '/v1/auth/password/reset/request', { body: { email, callbackUrl } });
        expect([res.status, res.body.code]).toEqual([429, 'auth/too-many-code-requests']);
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(50);
        expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      }
      // The budget is per address and shared by every flow: the magic link waits too.
      const magic = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'magiclink', email: unknown, callbackUrl } });
      expect(magic.body.code).toBe('auth/too-many-code-requests');
      expect((await t.request('POST', '/v1/auth/password/reset/request', { body: { email: uniqueEmail(), callbackUrl } })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('allows 5 sends per address per hour across flows; the 6th is refused with Retry-After', async () => {
    const t = await createTestApp(dialect, { env: { LATCH_RATE_EMAIL_INTERVAL: '1000/60' } });
    try {
      const email = uniqueEmail();
      const sends = [
        () => t.request('POST', '/v1/auth/password/reset/request', { body: { email, callbackUrl } }),
        () => t.request('POST', '/v1/auth/email/signin', { body: { method: 'magiclink', email, callbackUrl } }),
        () => t.request('POST', '/v1/auth/signup/email/resend', { body: { email } }),
        () => t.request('POST', '/v1/auth/email/verify/send', { body: { email } }),
        () => t.request('POST', '/v1/auth/email/signup', { body: { method: 'magiclink', email, callbackUrl } }),
      ];
      for (const send of sends) expect((await send()).status).toBeLessThan(300);
      const sixth = await t.request('POST', '/v1/auth/email/verify/resend', { body: { email } });
      expect([sixth.status, sixth.body.code]).toEqual([429, 'auth/too-many-code-requests']);
      expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(3000);
    } finally {
      await t.close();
    }
  });

  it('caps email-sending requests per IP', async () => {
    const t = await createTestApp(dialect, { env: { LATCH_RATE_EMAIL_IP: '3/3600' } });
    try {
      for (let i = 0; i < 3; i++) expect((await t.request('POST', '/v1/auth/password/reset/request', { body: { email: uniqueEmail() }, ip: '203.0.113.9' })).status).toBe(200);
      const fourth = await t.request('POST', '/v1/auth/password/reset/request', { body: { email: uniqueEmail() }, ip: '203.0.113.9' });
      expect([fourth.status, fourth.body.code]).toEqual([429, 'auth/too-many-code-requests']);
      expect(fourth.headers['retry-after']).toBeDefined();
      expect((await t.request('POST', '/v1/auth/password/reset/request', { body: { email: uniqueEmail() }, ip: '203.0.113.10' })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe.each(dialects.filter((d) => d === 'postgres'))('email caps and single use hold across instances (%s)', (dialect) => {
  it('an address spaced on one instance is spaced on the other; one token redeemed on two instances wins once', async () => {
    const database = await createTestDatabase(dialect);
    const mailer = new RecordingMailer();
    const a = await createTestApp(dialect, { database, mailer });
    const b = await createTestApp(dialect, { database });
    try {
      const user = await signUp(a);
      const email = uniqueEmail();
      expect((await a.request('POST', '/v1/auth/email/signin', { body: { method: 'magiclink', email, callbackUrl: APP } })).status).toBe(200);
      const onB = await b.request('POST', '/v1/auth/email/signin', { body: { method: 'magiclink', email, callbackUrl: APP } });
      expect(onB.body.code).toBe('auth/too-many-code-requests');

      await settleDeliveries(a.ctx);
      const token = linkIn(mailer.last(email)).searchParams.get('token');
      const both = await Promise.all([a, b, a, b].map((app) => app.request('POST', '/v1/auth/email/callback', { body: { token } })));
      expect(both.filter((r) => r.status === 200)).toHaveLength(1);
      expect(user.id).toBeTruthy();
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});
