import type { Kysely } from 'kysely';

// Refresh tokens carry their session and generation under a MAC (src/sessions/refresh-token.ts): a
// refresh finds its session by primary key and recognises an earlier token by its generation, so the
// hash index and the table of every rotated token go. The user index drops last_activity_at, which
// every refresh changes, so a rotation rewrites the session row and nothing else. Sessions made
// before this migration keep their access tokens; their old-format refresh tokens answer 401.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('refresh_generation', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.dropIndex('sessions_refresh_token_hash').execute();
  await db.schema.dropIndex('sessions_user_activity').execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
  await db.schema.dropTable('retired_refresh_tokens').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('retired_refresh_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('rotated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('retired_refresh_tokens_session').on('retired_refresh_tokens').column('session_id').execute();
  await db.schema.dropIndex('sessions_user').execute();
  await db.schema.createIndex('sessions_user_activity').on('sessions').columns(['user_id', 'last_activity_at']).execute();
  await db.schema.createIndex('sessions_refresh_token_hash').on('sessions').column('refresh_token_hash').unique().execute();
  await db.schema.alterTable('sessions').dropColumn('refresh_generation').execute();
}
