import net from 'node:net';
import pg from 'pg';

/** Where the development and CI machines serve PostgreSQL and Redis (DEVELOPERS.md), used when no URL is given. */
export const LOCAL_SERVICES = { postgres: 'postgres://postgres@127.0.0.1:5432/postgres', redis: 'redis://127.0.0.1:6379' };

/**
 * PostgreSQL and Redis tests run against LATCH_TEST_POSTGRES_URL / LATCH_TEST_REDIS_URL, or, when a
 * variable is unset, against the local server at its default address if one answers there; otherwise
 * they are reported as skipped, and with CI=true that fails the run (config.md). The URLs found are put
 * in the environment the test workers inherit. Each test creates its own database and drops it;
 * teardown sweeps what a crashed worker left behind.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const { problems, warnings, urls } = await checkTestServices(process.env);
  for (const warning of warnings) console.warn(`\n[latch tests] ${warning}\n`);
  if (problems.length > 0) throw new Error(`Test services missing:\n- ${problems.join('\n- ')}`);
  if (urls.postgres) process.env.LATCH_TEST_POSTGRES_URL = urls.postgres;
  if (urls.redis) process.env.LATCH_TEST_REDIS_URL = urls.redis;
  const pgUrl = urls.postgres;

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

/**
 * What the run lacks (an error with CI=true, or when a given URL does not answer), what it skips, and the
 * URLs to test against. `local` is where to look when a variable is unset (tests point it elsewhere).
 */
export async function checkTestServices(
  env: Record<string, string | undefined>,
  local: { postgres: string; redis: string } = LOCAL_SERVICES,
): Promise<{ problems: string[]; warnings: string[]; urls: { postgres?: string; redis?: string } }> {
  const ci = env.CI === 'true';
  const problems: string[] = [];
  const warnings: string[] = [];
  const urls: { postgres?: string; redis?: string } = {};
  const services = [
    { key: 'postgres', name: 'PostgreSQL', variable: 'LATCH_TEST_POSTGRES_URL', skipped: 'PostgreSQL variants', failure: postgresFailure },
    { key: 'redis', name: 'Redis', variable: 'LATCH_TEST_REDIS_URL', skipped: 'Redis tests', failure: redisFailure },
  ] as const;
  for (const service of services) {
    const given = env[service.variable];
    if (given) {
      const failure = await service.failure(given);
      if (failure === undefined) urls[service.key] = given;
      else problems.push(`${service.name} at ${service.variable} is unreachable (${failure})`);
      continue;
    }
    const failure = await service.failure(local[service.key]);
    if (failure === undefined) urls[service.key] = local[service.key];
    else if (ci) problems.push(`CI=true but ${service.variable} is not set and no ${service.name} answers at ${local[service.key]} (${failure})`);
    else warnings.push(`${service.variable} is not set and no ${service.name} answers at ${local[service.key]} (${failure}): ${service.skipped} are SKIPPED (set it to run them).`);
  }
  return { problems, warnings, urls };
}

/** Why the server does not answer (the driver's own words, so a wrong password reads differently from a stopped server), or undefined when it does. */
async function postgresFailure(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return reason(error);
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisFailure(redisUrl: string): Promise<string | undefined> {
  const url = new URL(redisUrl);
  return new Promise<string | undefined>((resolve) => {
    const socket = net.connect(Number(url.port || 6379), url.hostname, () => {
      socket.end();
      resolve(undefined);
    });
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve('no answer within 5 s');
    });
    socket.on('error', (error) => resolve(reason(error)));
  });
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // AggregateError (localhost resolving to ::1 and 127.0.0.1) carries its reasons in `errors`, not in `message`.
  if (message) return message;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'no answer';
}
