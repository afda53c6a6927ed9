import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp } from '../../test/helpers/factories.js';
import { currentCode, enrollMfa } from '../../test/helpers/mfa.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

const BURST = 25;

/** n distinct 6-digit codes, none of them the current right one. */
function wrongCodes(t: TestApp, secret: string, n: number): string[] {
  const right = currentCode(t, secret);
  const codes: string[] = [];
  for (let i = 0; codes.length < n; i++) {
    const code = String(100000 + i * 7919).slice(0, 6);
    if (code !== right) codes.push(code);
  }
  return codes;
}

const judged = (results: Array<{ body: { code?: string } }>, code: string) => results.filter((r) => r.body.code === code).length;

/**
 * Failure budgets against a burst (auth-api.md §10, ASVS 6.3.1): wrong passwords and codes sent all at
 * once must be judged no more often than the budget allows. A budget that is read, then charged after
 * the credential was checked, lets every request of the burst past the read before the first failure
 * is counted (25 of 25 judged); each attempt now spends its point first (Limiters.consume) and a right
 * one gets it back. Production budgets, the store each deployment uses (memory on SQLite, PostgreSQL).
 */
describe.each(dialects)('failure budgets hold against simultaneous attempts (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    // The defaults of config.md for what is tested (the test app raises the sign-in ones); the per-IP
    // sign-in budget stays out of the way so the per-address one is what is measured.
    t = await createTestApp(dialect, { env: { LATCH_RATE_SIGNIN_EMAIL: '5/900', LATCH_RATE_SIGNIN_IP: '10000/900' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it(`sign-in: of ${BURST} simultaneous wrong passwords for one address at most 5 are judged, the rest locked out`, async () => {
    const user = await signUp(t);
    const results = await Promise.all(Array.from({ length: BURST }, (_, i) => signIn(t, user.email, `Wrong-Password-${i}!`)));
    expect(judged(results, 'auth/invalid-credentials')).toBeLessThanOrEqual(5);
    expect(judged(results, 'auth/invalid-credentials') + judged(results, 'auth/account-locked')).toBe(BURST);
    expect((await signIn(t, user.email, user.password)).body.code).toBe('auth/account-locked');
  });

  it('sign-in: a right password spends nothing (ten in a row on a budget of five all succeed)', async () => {
    const user = await signUp(t);
    for (let i = 0; i < 10; i++) expect((await signIn(t, user.email, user.password)).status).toBe(200);
    // …and the failures it forgave are gone: four wrong, one right, four wrong again, still no lockout.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) expect((await signIn(t, user.email, 'Wrong-Password-1!')).status).toBe(401);
      expect((await signIn(t, user.email, user.password)).status).toBe(200);
    }
  });

  it(`password change: of ${BURST} simultaneous wrong current passwords at most 5 are judged`, async () => {
    const user = await signUp(t);
    const results = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        t.request('POST', '/v1/auth/password/change', { token: user.accessToken, body: { currentPassword: `Wrong-Password-${i}!`, newPassword: 'Brand-New-Pass-42!' } }),
      ),
    );
    expect(judged(results, 'auth/invalid-password')).toBeLessThanOrEqual(5);
    expect(judged(results, 'auth/too-many-requests')).toBeGreaterThanOrEqual(BURST - 5);
  });

  it(`MFA: of ${BURST} simultaneous wrong codes with the right password at most 5 are judged`, async () => {
    const user = await signUp(t);
    const { secret } = await enrollMfa(t, user);
    const results = await Promise.all(
      wrongCodes(t, secret, BURST).map((mfaCode) => t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password, mfaCode } })),
    );
    expect(judged(results, 'auth/invalid-mfa-code')).toBeLessThanOrEqual(5);
  });

  it(`MFA challenge: of ${BURST} simultaneous wrong codes on one mfaToken at most 5 are judged`, async () => {
    const user = await signUp(t);
    const { secret } = await enrollMfa(t, user);
    const challenge = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password } });
    const mfaToken = challenge.body.error.details.mfaToken as string;
    const results = await Promise.all(wrongCodes(t, secret, BURST).map((mfaCode) => t.request('POST', '/v1/auth/google/callback', { body: { mfaToken, mfaCode } })));
    expect(judged(results, 'auth/invalid-mfa-code')).toBeLessThanOrEqual(5);
  });

  it(`MFA disable: of ${BURST} simultaneous wrong passwords at most 5 are judged`, async () => {
    const user = await signUp(t);
    const { secret } = await enrollMfa(t, user);
    const results = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        t.request('POST', '/v1/auth/mfa/disable', { token: user.accessToken, body: { password: `Wrong-Password-${i}!`, code: currentCode(t, secret) } }),
      ),
    );
    expect(judged(results, 'auth/invalid-credentials')).toBeLessThanOrEqual(5);
  });
});
