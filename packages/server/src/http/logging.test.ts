import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, TEST_PK, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { createLogger, redactUrl } from './logging.js';

/** ASVS 7.1.1: logs never hold passwords, tokens or keys, even at trace level. */
describe.each(dialects)('log redaction at trace level (%s)', (dialect) => {
  let t: TestApp;
  const secrets: string[] = [TEST_PK, TEST_SK, TEST_PK.slice(3), TEST_SK.slice(3)];
  beforeAll(async () => {
    t = await createTestApp(dialect, { logLevel: 'trace' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('keeps passwords, tokens and keys out of every line of a full session', async () => {
    const email = uniqueEmail();
    const password = `${STRONG_PASSWORD}-logged?`;
    const wrongPassword = 'Wrong-Password-Logged-9!';
    const newPassword = 'Brand-New-Secret-Logged-8#';
    secrets.push(password, wrongPassword, newPassword);

    const up = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password, name: 'Log Test' } });
    expect(up.status).toBe(201);
    const failed = await signIn(t, email, wrongPassword);
    expect(failed.status).toBe(401);
    const weak = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email: uniqueEmail(), password: 'weak-secret-logged', name: 'x' } });
    expect(weak.status).toBe(400);
    secrets.push('weak-secret-logged');
    const inn = await signIn(t, email, password);
    expect(inn.status).toBe(200);
    const refreshed = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: inn.body.refreshToken } });
    expect(refreshed.status).toBe(200);
    const reused = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: 'x'.repeat(43) } });
    expect(reused.status).toBe(401);
    const me = await t.request('GET', '/v1/auth/me', { token: refreshed.body.accessToken, key: TEST_SK });
    expect(me.status).toBe(200);
    const changed = await t.request('POST', '/v1/auth/password/change', { token: refreshed.body.accessToken, body: { currentPassword: password, newPassword } });
    expect(changed.status).toBe(200);
    const badToken = await t.request('GET', '/v1/auth/me', { token: `${up.body.accessToken}x` });
    expect(badToken.status).toBe(401);

    for (const body of [up.body, inn.body, refreshed.body]) {
      secrets.push(body.accessToken, body.refreshToken, body.accessToken.split('.')[2]);
    }

    expect(t.logs.length).toBeGreaterThan(10);
    const leaks = t.logs.flatMap((line) => secrets.filter((secret) => line.includes(secret)).map((secret) => ({ secret: secret.slice(0, 12), line: line.slice(0, 300) })));
    expect(leaks).toEqual([]);
    // The lines are still useful: requests are logged with method, URL and id.
    expect(t.logs.some((line) => line.includes('/v1/auth/email/signin'))).toBe(true);
  });
});

describe('the logger', () => {
  it.each([
    ['/v1/auth/signup/email/confirm?token=abc123&redirect=x', '/v1/auth/signup/email/confirm?token=[Redacted]&redirect=x'],
    ['/v1/auth/google/callback?code=c0de&state=s7ate', '/v1/auth/google/callback?code=[Redacted]&state=[Redacted]'],
    ['/uploads/avatars/k?exp=1&sig=deadbeef', '/uploads/avatars/k?exp=1&sig=[Redacted]'],
    ['/x?refreshToken=r&accessToken=a&mfaToken=m&key=k', '/x?refreshToken=[Redacted]&accessToken=[Redacted]&mfaToken=[Redacted]&key=[Redacted]'],
    ['/x?TOKEN=upper', '/x?TOKEN=[Redacted]'],
    ['/plain?page=2', '/plain?page=2'],
  ])('redacts secret query parameters in %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('redacts secret fields by name wherever they are logged', () => {
    const lines: string[] = [];
    const log = createLogger('trace', new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }));
    log.info({ body: { password: 'p1', newPassword: 'p2', currentPassword: 'p3', refreshToken: 'r', accessToken: 'a', token: 't', mfaCode: 'm', clientSecret: 'c', key: 'k' } }, 'x');
    log.info({ req: { method: 'GET', url: '/a?token=zz', headers: { authorization: 'Bearer jwt', 'x-api-key': 'sk_zz' } } }, 'y');
    const text = lines.join('\n');
    for (const value of ['"p1"', '"p2"', '"p3"', '"r"', '"a"', '"t"', '"m"', '"c"', '"k"', 'zz', 'Bearer jwt']) expect(text).not.toContain(value);
    expect(text).toContain('[Redacted]');
  });
});
