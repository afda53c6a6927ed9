import { stepAt, totpCodeAt } from '../../src/mfa/totp.js';
import type { TestApp } from './test-app.js';

export interface Enrolment {
  secret: string;
  backupCodes: string[];
}

/** The authenticator app's current code for `secret` at the test clock's time. */
export function currentCode(t: TestApp, secret: string): string {
  return totpCodeAt(secret, stepAt(t.clock.now()));
}

/**
 * A15 + A16 through the API for a signed-in user, then move the clock to the next 30-s step so the
 * next code is fresh (the confirming code's step counts as used).
 */
export async function enrollMfa(t: TestApp, user: { accessToken: string; password: string }): Promise<Enrolment> {
  const enable = await t.request('POST', '/v1/auth/mfa/enable', { token: user.accessToken, body: { password: user.password } });
  if (enable.status !== 200) throw new Error(`mfa enable failed: ${enable.status} ${JSON.stringify(enable.body)}`);
  const confirm = await t.request('POST', '/v1/auth/mfa/confirm', { token: user.accessToken, body: { code: currentCode(t, enable.body.secret) } });
  if (confirm.status !== 200) throw new Error(`mfa confirm failed: ${confirm.status} ${JSON.stringify(confirm.body)}`);
  t.clock.advance(30_000);
  return { secret: enable.body.secret, backupCodes: confirm.body.backupCodes };
}
