import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/clock.js';
import { createTestDatabase, dialects, postgresOnly, redisOnly, redisUrl, type TestDatabase } from '../helpers/databases.js';
import { signUp, type SignedUpUser } from '../helpers/factories.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const hasPostgres = dialects.includes('postgres');
if (!hasPostgres) console.warn('[latch tests] revocation-across-instances: SKIPPED, needs LATCH_TEST_POSTGRES_URL');

/**
 * The README's bound: a revocation is effective at once on the instance that made it and, through
 * Redis or else PostgreSQL's LISTEN/NOTIFY, on every other instance sharing the database; entries still
 * age out after LATCH_SESSION_CACHE_TTL seconds whatever a lost connection missed.
 */
describe.each(postgresOnly())('revocation seen by another instance sharing PostgreSQL (%s)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database.drop();
  });

  /** Polls b (the clock does not move): notifications are asynchronous. */
  async function statusOn(b: TestApp, token: string, until: number): Promise<number> {
    let status = 0;
    for (let i = 0; i < 200; i++) {
      status = (await b.request('GET', '/v1/auth/me', { token })).status;
      if (status === until) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    return status;
  }

  /** Two instances on the database, a user signed up on a whose session b has cached (TTL 300 s). */
  async function withTwoInstances(env: Record<string, string>, run: (a: TestApp, b: TestApp, user: SignedUpUser) => Promise<void>) {
    const clock = new ManualClock();
    const a = await createTestApp('postgres', { database, clock, env: { LATCH_SESSION_CACHE_TTL: '300', ...env } });
    const b = await createTestApp('postgres', { database, clock, env: { LATCH_SESSION_CACHE_TTL: '300', ...env } });
    try {
      const user = await signUp(a);
      expect((await b.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200);
      await run(a, b, user);
    } finally {
      await a.close();
      await b.close();
    }
  }

  it('without Redis: refused at once on the other instance (PostgreSQL LISTEN/NOTIFY)', async () => {
    await withTwoInstances({}, async (a, b, user) => {
      await a.request('POST', '/v1/auth/signout', { token: user.accessToken });
      expect((await a.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(401);
      expect(await statusOn(b, user.accessToken, 401)).toBe(401);
    });
  });

  it('a lost listener reconnects and empties the cache, so what it missed is refused once it is back', async () => {
    await withTwoInstances({}, async (a, b, user) => {
      // Both instances' listening connections are cut (a database restart, a proxy timeout).
      const { rows } = await sql<{ ended: boolean }>`select pg_terminate_backend(pid) as ended from pg_stat_activity
        where datname = current_database() and query = 'LISTEN latch_invalidate'`.execute(a.ctx.db);
      expect(rows.length).toBe(2);
      await a.request('POST', '/v1/auth/signout', { token: user.accessToken }); // b cannot hear this
      expect(await statusOn(b, user.accessToken, 401)).toBe(401); // within the ~1 s reconnect
    });
  });

  describe.each(redisOnly())('with %s', () => {
    it('refused at once on the other instance', async () => {
      await withTwoInstances({ LATCH_REDIS_URL: redisUrl! }, async (a, b, user) => {
        await a.request('POST', '/v1/auth/signout', { token: user.accessToken });
        expect(await statusOn(b, user.accessToken, 401)).toBe(401);
      });
    });
  });
});
