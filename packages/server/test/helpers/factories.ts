import { randomBytes } from 'node:crypto';
import type { TestApp } from './test-app.js';

export const STRONG_PASSWORD = 'Correct-Horse-7-Battery!';

export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomBytes(5).toString('hex')}@example.test`;
}

export interface SignedUpUser {
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  id: string;
}

/** Sign a user up through the API (the real path, not a row insert). */
export async function signUp(t: TestApp, overrides: { email?: string; password?: string; name?: string; ip?: string } = {}): Promise<SignedUpUser> {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? STRONG_PASSWORD;
  const res = await t.request('POST', '/v1/auth/email/signup', {
    body: { method: 'password', email, password, name: overrides.name ?? 'Test User' },
    ip: overrides.ip,
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  const me = await t.request('GET', '/v1/auth/me', { token: res.body.accessToken });
  return { email, password, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken, id: me.body.id };
}

export async function signIn(t: TestApp, email: string, password: string, ip?: string) {
  return t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email, password }, ip });
}

/** Make a user admin directly (the users capability's role endpoint is a separate issue). */
export async function promoteToAdmin(t: TestApp, userId: string): Promise<void> {
  await t.ctx.db.updateTable('users').set({ role: 'admin' }).where('id', '=', userId).execute();
  t.ctx.cache.forgetUser(userId);
}
