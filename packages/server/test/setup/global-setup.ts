import net from 'node:net';
import pg from 'pg';

/**
 * PostgreSQL and Redis tests run when LATCH_TEST_POSTGRES_URL / LATCH_TEST_REDIS_URL are set and are
 * reported as skipped otherwise; with CI=true a missing or unreachable one fails the run (config.md).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const ci = process.env.CI === 'true';
  const pgUrl = process.env.LATCH_TEST_POSTGRES_URL;
  const redisUrl = process.env.LATCH_TEST_REDIS_URL;
  const problems: string[] = [];

  if (pgUrl) {
    const client = new pg.Client({ connectionString: pgUrl });
    try {
      await client.connect();
      await client.query('select 1');
    } catch (error) {
      problems.push(`PostgreSQL at LATCH_TEST_POSTGRES_URL is unreachable: ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => {});
    }
  } else if (ci) problems.push('CI=true but LATCH_TEST_POSTGRES_URL is not set');
  else console.warn('\n[latch tests] LATCH_TEST_POSTGRES_URL is not set: PostgreSQL variants are SKIPPED (set it to run them).\n');

  if (redisUrl) {
    const url = new URL(redisUrl);
    const reachable = await new Promise<boolean>((resolve) => {
      const socket = net.connect(Number(url.port || 6379), url.hostname, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (!reachable) problems.push(`Redis at LATCH_TEST_REDIS_URL is unreachable`);
  } else if (ci) problems.push('CI=true but LATCH_TEST_REDIS_URL is not set');
  else console.warn('[latch tests] LATCH_TEST_REDIS_URL is not set: Redis tests are SKIPPED (set it to run them).\n');

  if (problems.length > 0) throw new Error(`Test services missing:\n- ${problems.join('\n- ')}`);

  return async () => {
    if (!pgUrl) return;
    // Drop databases a crashed worker left behind from this run.
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    const { rows } = await client.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`latch_t_${process.pid}_%`]);
    for (const row of rows) await client.query(`drop database if exists "${row.datname}" with (force)`).catch(() => {});
    await client.end();
  };
}
