import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/clock.js';
import { createTestDatabase, dialects, postgresOnly, redisOnly, redisUrl, type TestDatabase } from '../helpers/databases.js';
import { signUp } from '../helpers/factories.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const hasPostgres = dialects.includes('postgres');
if (!hasPostgres) console.warn('[latch tests] revocation-across-instances: SKIPPED, needs LATCH_TEST_POSTGRES_URL');

/**
 * The README's bound: a revocation is effective at once on the instance that made it; another
 * instance sharing the database may serve the revoked session from its cache for at most
 * LATCH_SESSION_CACHE_TTL seconds (5 by default) — or not at all when Redis carries invalidations.
 */
describe.each(postgresOnly())('revocation seen by another instance sharing PostgreSQL (%s)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('without Redis: refused within the cache TTL on the other instance', async () => {
    const clock = new ManualClock();
    const env = { LATCH_SESSION_CACHE_TTL: '5' };
    const a = await createTestApp('postgres', { database, clock, env });
    const b = await createTestApp('postgres', { database, clock, env });
    try {
      const user = await signUp(a);
      expect((await b.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200); // cached on b
      await a.request('POST', '/v1/auth/signout', { token: user.accessToken });
      expect((await a.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(401);
      clock.advanceSeconds(5);
      const res = await b.request('GET', '/v1/auth/me', { token: user.accessToken });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth/invalid-token');
    } finally {
      await a.close();
      await b.close();
    }
  });

  describe.each(redisOnly())('with %s', () => {
    it('refused at once on the other instance', async () => {
      const clock = new ManualClock();
      const env = { LATCH_SESSION_CACHE_TTL: '300', LATCH_REDIS_URL: redisUrl! };
      const a = await createTestApp('postgres', { database, clock, env });
      const b = await createTestApp('postgres', { database, clock, env });
      try {
        const user = await signUp(a);
        expect((await b.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200);
        await a.request('POST', '/v1/auth/signout', { token: user.accessToken });
        // Pub/sub is asynchronous: poll briefly, the clock does not move.
        let status = 200;
        for (let i = 0; i < 50 && status === 200; i++) {
          await new Promise((r) => setTimeout(r, 10));
          status = (await b.request('GET', '/v1/auth/me', { token: user.accessToken })).status;
        }
        expect(status).toBe(401);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
});
