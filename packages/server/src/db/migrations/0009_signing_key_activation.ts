import type { Kysely } from 'kysely';

// A rotated-in signing key is published before it signs (tokens/key-schedule.ts): `activates_at` is when
// it starts; null (keys made before this migration, first keys, emergency replacements) = at creation.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('signing_keys').addColumn('activates_at', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('signing_keys').dropColumn('activates_at').execute();
}
