import type { Kysely } from 'kysely';

// Reserved slot: the capability that owns this number adds its tables here.
export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
