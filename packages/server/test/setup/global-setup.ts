import net from 'node:net';
import pg from 'pg';

/**
 * PostgreSQL and Redis tests run when LATCH_TEST_POSTGRES_URL / LATCH_TEST_REDIS_URL are set and are
 * reported as skipped otherwise; with CI=true a missing or unreachable one fails the run (config.md).
 * Each test creates its own database and drops it; teardown sweeps what a crashed worker left behind.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const { problems, warnings } = await checkTestServices(process.env);
  for (const warning of warnings) console.warn(`\n[latch tests] ${warning}\n`);
  if (problems.length > 0) throw new Error(`Test services missing:\n- ${problems.join('\n- ')}`);
  const pgUrl = process.env.LATCH_TEST_POSTGRES_URL;

  return async () => {
    if (!pgUrl) return;
    // Databases are named latch_t_<vitest pid>_…: drop this run's leftovers only, never a parallel run's.
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    const { rows } = await client.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`latch_t_${process.pid}_%`]);
    for (const row of rows) await client.query(`drop database if exists "${row.datname}" with (force)`).catch(() => {});
    await client.end();
  };
}

/** What the run lacks (an error with CI=true or when a given URL is unreachable) and what it skips. */
export async function checkTestServices(env: Record<string, string | undefined>): Promise<{ problems: string[]; warnings: string[] }> {
  const ci = env.CI === 'true';
  const problems: string[] = [];
  const warnings: string[] = [];
  const pgUrl = env.LATCH_TEST_POSTGRES_URL;
  const redisUrl = env.LATCH_TEST_REDIS_URL;

  if (pgUrl) {
    const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('select 1');
    } catch (error) {
      problems.push(`PostgreSQL at LATCH_TEST_POSTGRES_URL is unreachable: ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => {});
    }
  } else if (ci) problems.push('CI=true but LATCH_TEST_POSTGRES_URL is not set');
  else warnings.push('LATCH_TEST_POSTGRES_URL is not set: PostgreSQL variants are SKIPPED (set it to run them).');

  if (redisUrl) {
    if (!(await reachable(redisUrl))) problems.push('Redis at LATCH_TEST_REDIS_URL is unreachable');
  } else if (ci) problems.push('CI=true but LATCH_TEST_REDIS_URL is not set');
  else warnings.push('LATCH_TEST_REDIS_URL is not set: Redis tests are SKIPPED (set it to run them).');

  return { problems, warnings };
}

async function reachable(redisUrl: string): Promise<boolean> {
  const url = new URL(redisUrl);
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(Number(url.port || 6379), url.hostname, () => {
      socket.end();
      resolve(true);
    });
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}
