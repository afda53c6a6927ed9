import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as m0001 from './migrations/0001_foundation.js';
import * as m0002 from './migrations/0002_audit_log.js';
import * as m0003 from './migrations/0003_email_flows.js';
import * as m0004 from './migrations/0004_oauth_mfa.js';
import * as m0005 from './migrations/0005_users_orgs.js';
import * as m0006 from './migrations/0006_data_tables.js';
import * as m0007 from './migrations/0007_mcp_oauth.js';
import * as m0008 from './migrations/0008_refresh_generations.js';
import * as m0009 from './migrations/0009_signing_key_activation.js';

/** Numbered migrations, listed by hand: works the same from src/ (tests) and dist/ (CLI). */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_audit_log': m0002,
  '0003_email_flows': m0003,
  '0004_oauth_mfa': m0004,
  '0005_users_orgs': m0005,
  '0006_data_tables': m0006,
  '0007_mcp_oauth': m0007,
  '0008_refresh_generations': m0008,
  '0009_signing_key_activation': m0009,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Kysely's migrator over the numbered list; its lock table serialises instances migrating at once. */
export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider, migrationTableName: 'latch_migrations', migrationLockTableName: 'latch_migrations_lock' });
}

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
