import { describe, expect, it } from 'vitest';
import { postgresOnly } from '../../test/helpers/databases.js';
import { checkTestServices } from '../../test/setup/global-setup.js';

/** config.md: PostgreSQL/Redis tests are skipped without their URLs, except with CI=true, where that fails the run. */
describe('test service check (global setup)', () => {
  it('skips with a printed reason when the URLs are unset outside CI', async () => {
    const { problems, warnings } = await checkTestServices({});
    expect(problems).toEqual([]);
    expect(warnings.join('\n')).toMatch(/LATCH_TEST_POSTGRES_URL is not set[\s\S]*SKIPPED[\s\S]*LATCH_TEST_REDIS_URL is not set/);
  });

  it('fails the run with CI=true when a URL is missing', async () => {
    const { problems } = await checkTestServices({ CI: 'true' });
    expect(problems).toEqual(['CI=true but LATCH_TEST_POSTGRES_URL is not set', 'CI=true but LATCH_TEST_REDIS_URL is not set']);
  });

  it('fails the run when a given server does not answer, CI or not', async () => {
    const { problems } = await checkTestServices({ LATCH_TEST_POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/postgres', LATCH_TEST_REDIS_URL: 'redis://127.0.0.1:1' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^PostgreSQL at LATCH_TEST_POSTGRES_URL is unreachable/);
    expect(problems[1]).toBe('Redis at LATCH_TEST_REDIS_URL is unreachable');
  });

  describe.each(postgresOnly({ redis: true }))('with %s and Redis configured', () => {
    it('passes with reachable servers', async () => {
      expect(await checkTestServices(process.env)).toEqual({ problems: [], warnings: [] });
    });
  });
});
