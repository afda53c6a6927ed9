import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type DialectName = 'sqlite' | 'postgres';

const pgAdminUrl = process.env.LATCH_TEST_POSTGRES_URL;

/** The dialects every database test runs on (`describe.each(dialects)`). */
export const dialects: DialectName[] = pgAdminUrl ? ['sqlite', 'postgres'] : ['sqlite'];

export const redisUrl: string | undefined = process.env.LATCH_TEST_REDIS_URL;

/**
 * `describe.each(postgresOnly())` for suites that need PostgreSQL (and Redis when asked): the suite runs
 * when they are configured and is absent otherwise. Global setup prints why, and with CI=true a missing
 * service fails the run instead.
 */
export function postgresOnly(services: { redis?: boolean } = {}): DialectName[] {
  return dialects.includes('postgres') && (!services.redis || redisUrl) ? ['postgres'] : [];
}

/** `describe.each(redisOnly())`: the same for suites that need Redis alone. */
export function redisOnly(): ['Redis'] | [] {
  return redisUrl ? ['Redis'] : [];
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database: in-memory SQLite, or a new PostgreSQL database dropped afterwards. */
export async function createTestDatabase(dialect: DialectName, options: { sqliteFile?: string } = {}): Promise<TestDatabase> {
  if (dialect === 'sqlite') return { url: `file:${options.sqliteFile ?? ':memory:'}`, drop: async () => {} };
  if (!pgAdminUrl) throw new Error('LATCH_TEST_POSTGRES_URL is not set');
  // The run's pid (vitest's parent) prefixes the name so global teardown can sweep leftovers.
  const name = `latch_t_${process.ppid}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: pgAdminUrl });
      await client.connect();
      await client.query(`drop database if exists "${name}" with (force)`);
      await client.end();
    },
  };
}
