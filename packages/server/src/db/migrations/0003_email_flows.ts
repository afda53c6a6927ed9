import type { Kysely } from 'kysely';

// Email flows (auth-api.md §8.1, §8.3, §8.4, §11): one-time email tokens stored as SHA-256 only,
// and admin overrides of the email templates.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('email_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('email_normalized', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('name', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  // "Newest wins": issuing a token voids the live ones of the same purpose and address.
  await db.schema.createIndex('email_tokens_purpose_email').on('email_tokens').columns(['purpose', 'email_normalized']).execute();
  await db.schema.createIndex('email_tokens_expires').on('email_tokens').column('expires_at').execute();
  await db.schema.createIndex('email_tokens_user').on('email_tokens').column('user_id').execute();

  await db.schema
    .createTable('email_templates')
    .addColumn('template_id', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('email_templates_pk', ['template_id', 'locale'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('email_templates').ifExists().execute();
  await db.schema.dropTable('email_tokens').ifExists().execute();
}
