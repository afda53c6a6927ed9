import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/helpers/clock.js';
import { createTestDatabase, dialects, redisUrl, type TestDatabase, postgresOnly } from '../../test/helpers/databases.js';
import { signUp, STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, TEST_PK, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { expectErrorEnvelope } from '../../test/setup/expect-envelope.js';
import { createApiKey, ensureApiKey, revokeKey } from './api-keys.js';

const signUpBody = () => ({ method: 'password', email: uniqueEmail('atk'), password: STRONG_PASSWORD, name: 'Attacker' });
const UNKNOWN = `pk_${'0'.repeat(64)}`;

describe.each(dialects)('API-key attacks (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  async function refusal(key: string | null) {
    const res = await t.request('POST', '/v1/auth/email/signup', { key, body: signUpBody() });
    return { status: res.status, body: res.body };
  }

  it('a stored type that disagrees with the prefix fails exactly like an unknown key (§2.4)', async () => {
    // A record of type "secret" whose plaintext starts with pk_: presenting it must not yield admin, nor anything.
    const mismatched = `pk_${'5e'.repeat(32)}`;
    await ensureApiKey(t.ctx, 'secret', mismatched);
    expect(await refusal(mismatched)).toEqual(await refusal(UNKNOWN));
    expect((await refusal(mismatched)).body.code).toBe('auth/invalid-token');
  });

  it('re-prefixing a key cannot change its type (pk_ ↔ sk_)', async () => {
    const secretAsPublishable = `pk_${TEST_SK.slice(3)}`;
    const publishableAsSecret = `sk_${TEST_PK.slice(3)}`;
    for (const key of [secretAsPublishable, publishableAsSecret]) {
      const res = await t.request('POST', '/v1/auth/email/signup', { key, body: signUpBody() });
      expectErrorEnvelope(res, 401, 'auth/invalid-token');
    }
  });

  it('hashes the key exactly as received: an upper-cased copy of a valid key is unknown (§2.2)', async () => {
    const res = await t.request('POST', '/v1/auth/email/signup', { key: `pk_${TEST_PK.slice(3).toUpperCase()}`, body: signUpBody() });
    expectErrorEnvelope(res, 401, 'auth/invalid-token');
  });

  it('takes the key from X-API-Key only (not the query string, not Authorization)', async () => {
    const inQuery = await t.request('POST', `/v1/auth/email/signup?apiKey=${TEST_PK}&x-api-key=${TEST_PK}`, { key: null, body: signUpBody() });
    expectErrorEnvelope(inQuery, 401, 'auth/unauthorized');
    const asBearer = await t.request('POST', '/v1/auth/email/signup', { key: null, headers: { authorization: `Bearer ${TEST_PK}` }, body: signUpBody() });
    expectErrorEnvelope(asBearer, 401, 'auth/unauthorized');
  });

  it('the secret key alone does not act as a user (auth-api.md §1.1)', async () => {
    expectErrorEnvelope(await t.request('GET', '/v1/auth/me', { key: TEST_SK }), 401, 'auth/unauthorized');
  });

  it('a publishable key never reaches an admin route: 401 alone, 403 with a non-admin token', async () => {
    const admin = t.app.routeCatalog.find((r) => r.auth === 'admin' && r.method === 'GET' && !r.url.includes(':'));
    if (!admin) {
      console.warn('[api-keys.attacks] no parameter-free GET admin route registered yet: escalation check skipped');
      return;
    }
    const alone = await t.request('GET', admin.url, { key: TEST_PK });
    expect(alone.status).toBe(401);
    const user = await signUp(t);
    const withUser = await t.request('GET', admin.url, { key: TEST_PK, token: user.accessToken });
    expect(withUser.status).toBe(403);
    expect((await t.request('GET', admin.url, { key: TEST_SK })).status).toBe(200);
  });

  it('a revoked key stays revoked through the cache, ensureApiKey and a bootstrap restart', async () => {
    const { key, record } = await createApiKey(t.ctx, { type: 'secret' });
    expect((await refusal(key)).status).toBe(201);
    await revokeKey(t.ctx, record.id);
    expect(await ensureApiKey(t.ctx, 'secret', key)).toBe(false);
    expect((await refusal(key)).body.code).toBe('auth/invalid-token');
  });

  it('never stores or audits the plaintext of a key', async () => {
    const { key } = await createApiKey(t.ctx, { type: 'secret', name: 'audited' });
    const body = key.slice(11);
    for (const table of ['api_keys', 'audit_log'] as const) {
      const rows = await t.ctx.db.selectFrom(table).selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(body);
    }
  });

  it('answers many wrong keys the same way (no oracle on which prefix or hash exists)', async () => {
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const guess = `pk_${TEST_PK.slice(3, 3 + i * 3)}${'f'.repeat(64 - i * 3)}`;
      const res = await refusal(guess);
      answers.add(JSON.stringify(res));
    }
    expect(answers.size).toBe(1);
  });
});

/** Revoking on one instance reaches another at once when Redis carries invalidations (data-and-rls.md §2.6). */
describe.each(postgresOnly({ redis: true }))('revocation across instances sharing PostgreSQL and Redis (%s)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('refuses the key on the other instance without waiting for its cache', async () => {
    const clock = new ManualClock();
    const env = { LATCH_REDIS_URL: redisUrl!, LATCH_SESSION_CACHE_TTL: '60' };
    const a = await createTestApp('postgres', { database, clock, env });
    const b = await createTestApp('postgres', { database, clock, env });
    try {
      const { key, record } = await createApiKey(a.ctx, { type: 'secret' });
      expect((await b.request('POST', '/v1/auth/refresh', { key, body: { refreshToken: 'x' } })).status).toBe(401); // key fine, token not
      expect((await b.request('POST', '/v1/auth/refresh', { key, body: { refreshToken: 'x' } })).body.code).toBe('auth/invalid-refresh-token');
      await revokeKey(a.ctx, record.id);
      await expect
        .poll(async () => (await b.request('POST', '/v1/auth/refresh', { key, body: { refreshToken: 'x' } })).body.code, { timeout: 2000, interval: 20 })
        .toBe('auth/invalid-token');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
if (!dialects.includes('postgres') || !redisUrl) console.warn('[api-keys.attacks] cross-instance revocation SKIPPED: needs LATCH_TEST_POSTGRES_URL and LATCH_TEST_REDIS_URL');
