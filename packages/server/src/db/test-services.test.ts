import { describe, expect, it } from 'vitest';
import { postgresOnly } from '../../test/helpers/databases.js';
import { checkTestServices } from '../../test/setup/global-setup.js';

// Nothing listens on port 1: a machine without the local servers.
const NOWHERE = { postgres: 'postgres://postgres@127.0.0.1:1/postgres', redis: 'redis://127.0.0.1:1' };

/**
 * config.md: PostgreSQL/Redis tests run against the given URLs, or the local servers at their default
 * addresses; they are skipped when neither is there, except with CI=true, where that fails the run.
 */
describe('test service check (global setup)', () => {
  it('skips with a printed reason when the URLs are unset and nothing answers locally, outside CI', async () => {
    const { problems, warnings, urls } = await checkTestServices({}, NOWHERE);
    expect(problems).toEqual([]);
    expect(urls).toEqual({});
    expect(warnings.join('\n')).toMatch(/LATCH_TEST_POSTGRES_URL is not set[\s\S]*SKIPPED[\s\S]*LATCH_TEST_REDIS_URL is not set[\s\S]*SKIPPED/);
  });

  it('fails the run with CI=true when a URL is unset and nothing answers locally', async () => {
    const { problems } = await checkTestServices({ CI: 'true' }, NOWHERE);
    expect(problems).toEqual([
      `CI=true but LATCH_TEST_POSTGRES_URL is not set and no PostgreSQL answers at ${NOWHERE.postgres} (connect ECONNREFUSED 127.0.0.1:1)`,
      `CI=true but LATCH_TEST_REDIS_URL is not set and no Redis answers at ${NOWHERE.redis} (connect ECONNREFUSED 127.0.0.1:1)`,
    ]);
  });

  it('fails the run when a given server does not answer, CI or not', async () => {
    const { problems } = await checkTestServices({ LATCH_TEST_POSTGRES_URL: NOWHERE.postgres, LATCH_TEST_REDIS_URL: NOWHERE.redis });
    expect(problems).toEqual([
      'PostgreSQL at LATCH_TEST_POSTGRES_URL is unreachable (connect ECONNREFUSED 127.0.0.1:1)',
      'Redis at LATCH_TEST_REDIS_URL is unreachable (connect ECONNREFUSED 127.0.0.1:1)',
    ]);
  });

  describe.each(postgresOnly({ redis: true }))('with %s and Redis configured', () => {
    it('passes with reachable servers', async () => {
      const env = { CI: 'true', LATCH_TEST_POSTGRES_URL: process.env.LATCH_TEST_POSTGRES_URL, LATCH_TEST_REDIS_URL: process.env.LATCH_TEST_REDIS_URL };
      expect(await checkTestServices(env, NOWHERE)).toEqual({ problems: [], warnings: [], urls: { postgres: env.LATCH_TEST_POSTGRES_URL, redis: env.LATCH_TEST_REDIS_URL } });
    });

    it("names the driver's reason, so a missing database reads differently from a stopped server", async () => {
      const url = new URL(process.env.LATCH_TEST_POSTGRES_URL!);
      url.pathname = '/latch_no_such_database';
      const { problems } = await checkTestServices({ LATCH_TEST_POSTGRES_URL: url.href, LATCH_TEST_REDIS_URL: process.env.LATCH_TEST_REDIS_URL });
      expect(problems).toEqual(['PostgreSQL at LATCH_TEST_POSTGRES_URL is unreachable (database "latch_no_such_database" does not exist)']);
    });

    it('finds the local servers at their default addresses when no URL is set (npm test with CI=true alone)', async () => {
      const local = { postgres: process.env.LATCH_TEST_POSTGRES_URL!, redis: process.env.LATCH_TEST_REDIS_URL! };
      expect(await checkTestServices({ CI: 'true' }, local)).toEqual({ problems: [], warnings: [], urls: local });
    });
  });
});
