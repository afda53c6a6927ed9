import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, redisUrl, type DialectName, type TestDatabase } from '../../test/helpers/databases.js';
import { signIn, signUp, STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { expectErrorEnvelope } from '../../test/setup/expect-envelope.js';

/**
 * auth-api.md §10 budgets, spent through the real routes. Every test uses its own IPs and emails, so files
 * running in parallel against one Redis never share a key.
 */
const uniqueIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const signUpBody = () => ({ method: 'password', email: uniqueEmail('rl'), password: STRONG_PASSWORD, name: 'Rate' });
const LIMITS = { LATCH_RATE_SIGNUP_IP: '3/3600', LATCH_RATE_SIGNIN_EMAIL: '3/900', LATCH_RATE_SIGNIN_IP: '4/900', LATCH_RATE_REFRESH_SESSION: '2/60' };

const topologies = dialects.map((dialect) => ({ name: `one instance on ${dialect}`, dialect }));

describe.each(topologies)('budgets of §10 ($name)', ({ dialect }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: LIMITS });
  });
  afterAll(async () => {
    await t.close();
  });

  it('sign-up per IP: the 4th within the hour is 429 auth/too-many-requests with Retry-After', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 3; i++) expect((await t.request('POST', '/v1/auth/email/signup', { ip, body: signUpBody() })).status).toBe(201);
    const res = await t.request('POST', '/v1/auth/email/signup', { ip, body: signUpBody() });
    expectErrorEnvelope(res, 429, 'auth/too-many-requests');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(3500);
    expect(res.headers['x-ratelimit-limit']).toBe('3');
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
    expect((await t.request('POST', '/v1/auth/email/signup', { ip: uniqueIp(), body: signUpBody() })).status).toBe(201);
  });

  it('reveals no budget on answers below the limit (a per-address or per-account count would tell who exists)', async () => {
    const ip = uniqueIp();
    const answers = [await t.request('POST', '/v1/auth/email/signup', { ip, body: signUpBody() }), await signIn(t, uniqueEmail('quiet'), 'Whatever-1!', uniqueIp())];
    for (const res of answers) {
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
    }
  });

  it('sign-in failures per email lock the account (429 auth/account-locked), even for the right password', async () => {
    const user = await signUp(t, { ip: uniqueIp() });
    for (let i = 0; i < 3; i++) expect((await signIn(t, user.email, 'Wrong-Password-1!', uniqueIp())).body.code).toBe('auth/invalid-credentials');
    const locked = await signIn(t, user.email, user.password, uniqueIp());
    expectErrorEnvelope(locked, 429, 'auth/account-locked');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await signIn(t, user.email.toUpperCase(), user.password, uniqueIp())).body.code).toBe('auth/account-locked');
  });

  it('a successful sign-in clears the per-email failures', async () => {
    const user = await signUp(t, { ip: uniqueIp() });
    for (let i = 0; i < 2; i++) await signIn(t, user.email, 'Wrong-Password-1!', uniqueIp());
    expect((await signIn(t, user.email, user.password, uniqueIp())).status).toBe(200);
    for (let i = 0; i < 2; i++) await signIn(t, user.email, 'Wrong-Password-1!', uniqueIp());
    expect((await signIn(t, user.email, user.password, uniqueIp())).status).toBe(200);
  });

  it('sign-in failures per IP across many emails → 429 auth/too-many-login-attempts', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 4; i++) expect((await signIn(t, uniqueEmail('spray'), 'Guess-Password-1!', ip)).status).toBe(401);
    const res = await signIn(t, uniqueEmail('spray'), 'Guess-Password-1!', ip);
    expectErrorEnvelope(res, 429, 'auth/too-many-login-attempts');
  });

  it('refresh per session: the 3rd within the minute is 429 auth/too-many-requests', async () => {
    const user = await signUp(t, { ip: uniqueIp() });
    let refreshToken = user.refreshToken;
    for (let i = 0; i < 2; i++) {
      const res = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken } });
      expect(res.status).toBe(200);
      refreshToken = res.body.refreshToken;
    }
    const res = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken } });
    expectErrorEnvelope(res, 429, 'auth/too-many-requests');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });
});

interface Shared {
  name: string;
  dialect: DialectName;
  redis: boolean;
}
const shared: Shared[] = [
  ...(dialects.includes('postgres') ? [{ name: 'two instances on one PostgreSQL', dialect: 'postgres' as const, redis: false }] : []),
  ...(redisUrl ? [{ name: 'two instances (own SQLite each) on one Redis', dialect: 'sqlite' as const, redis: true }] : []),
];
if (shared.length < 2) console.warn('[shared-budget.test] some multi-instance budgets SKIPPED: set LATCH_TEST_POSTGRES_URL and LATCH_TEST_REDIS_URL');

describe.each(shared)('one budget across instances ($name)', ({ dialect, redis }) => {
  let database: TestDatabase | undefined;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { ...LIMITS, ...(redis ? { LATCH_REDIS_URL: redisUrl! } : {}) };
    if (!redis) database = await createTestDatabase(dialect);
    a = await createTestApp(dialect, { env, database });
    b = await createTestApp(dialect, { env, database });
    expect(a.ctx.limiter.storeKind).toBe(redis ? 'redis' : 'postgres');
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await database?.drop();
  });

  it('sign-up per IP: 3 spread over both instances, the 4th is 429 on either', async () => {
    const ip = uniqueIp();
    expect((await a.request('POST', '/v1/auth/email/signup', { ip, body: signUpBody() })).status).toBe(201);
    expect((await b.request('POST', '/v1/auth/email/signup', { ip, body: signUpBody() })).status).toBe(201);
    expect((await a.request('POST', '/v1/auth/email/signup', { ip, body: signUpBody() })).status).toBe(201);
    const res = await b.request('POST', '/v1/auth/email/signup', { ip, body: signUpBody() });
    expectErrorEnvelope(res, 429, 'auth/too-many-requests');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(3500);
    expect((await a.request('POST', '/v1/auth/email/signup', { ip, body: signUpBody() })).status).toBe(429);
  });

  it('concurrent sign-ups from one IP on both instances never exceed the budget', async () => {
    const ip = uniqueIp();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).request('POST', '/v1/auth/email/signup', { ip, body: signUpBody() })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 429)).toHaveLength(5);
  });

  it('an account locked on one instance is locked on the other', async () => {
    const user = await signUp(a, { ip: uniqueIp() });
    await signIn(a, user.email, 'Wrong-Password-1!', uniqueIp());
    await signIn(b, user.email, 'Wrong-Password-1!', uniqueIp());
    await signIn(a, user.email, 'Wrong-Password-1!', uniqueIp());
    expectErrorEnvelope(await signIn(b, user.email, user.password, uniqueIp()), 429, 'auth/account-locked');
  });
});

describe.each(dialects.filter((d) => d === 'postgres'))('refresh under load with the budgets in PostgreSQL (%s)', (dialect) => {
  it('answers more concurrent refreshes than the pool has connections (the budget is not spent inside the transaction)', async () => {
    // More refreshes than Kysely's pool has connections (10), each with a transaction and a limiter call.
    const t = await createTestApp(dialect, { env: { LATCH_RATE_SIGNUP_IP: '1000/3600' } });
    try {
      expect(t.ctx.limiter.storeKind).toBe('postgres');
      const users = [];
      for (let i = 0; i < 30; i++) users.push(await signUp(t, { ip: uniqueIp() }));
      const answers = await Promise.race([
        Promise.all(users.map((user) => t.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } }))),
        new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 10_000)),
      ]);
      expect(answers).not.toBe('stuck');
      expect((answers as Array<{ status: number }>).map((r) => r.status)).toEqual(users.map(() => 200));
    } finally {
      await t.close();
    }
  }, 60_000);
});
