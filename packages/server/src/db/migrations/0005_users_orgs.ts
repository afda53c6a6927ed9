import { sql, type Kysely } from 'kysely';

// Users capability (issue 7): profile/settings, avatar uploads, memberships, invitations, and the
// indexes that back U01's sorts. Typed Kysely<any>, no app imports (STYLE §11).
export async function up(db: Kysely<any>): Promise<void> {
  // One row per user, created on the first settings write; absent row = every default of auth-api.md §7.
  await db.schema
    .createTable('user_profiles')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('mobile', 'text')
    .addColumn('gender', 'text')
    .addColumn('bio', 'text')
    // One column per link so a partial PATCH is one atomic UPDATE, no read-modify-write of a JSON blob.
    .addColumn('social_github', 'text')
    .addColumn('social_twitter', 'text')
    .addColumn('social_linkedin', 'text')
    .addColumn('locale', 'text')
    .addColumn('timezone', 'text')
    .addColumn('theme', 'text')
    .addColumn('notify_service', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('notify_marketing', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('notify_push', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('notify_email', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('notify_sms', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('notify_night_time', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('notify_security_alerts', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('onboarding_step', 'text')
    .addColumn('onboarding_data', 'text')
    .addColumn('onboarding_completed_at', 'bigint')
    .addColumn('slug', 'text')
    .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // Slugs are unique per deployment (OP-30); the index decides races.
  await db.schema
    .createIndex('user_profiles_slug_unique')
    .on('user_profiles')
    .column('slug')
    .unique()
    .where(sql.ref('slug'), 'is not', null)
    .execute();

  await db.schema
    .createTable('avatar_uploads')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('declared_type', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text')
    .addColumn('size', 'integer')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('uploaded_at', 'bigint')
    .addColumn('attached_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('avatar_uploads_user').on('avatar_uploads').columns(['user_id', 'attached_at']).execute();
  await db.schema.createIndex('avatar_uploads_expires').on('avatar_uploads').column('expires_at').execute();

  await db.schema
    .createTable('memberships')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('invitation_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('memberships_user_resource').on('memberships').columns(['user_id', 'resource_type', 'resource_id']).unique().execute();
  await db.schema.createIndex('memberships_resource').on('memberships').columns(['resource_type', 'resource_id']).execute();

  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('resource_name', 'text')
    .addColumn('resource_role', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_normalized', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('inviter_name', 'text')
    // No foreign key: the inviter may be purged, the invitation's history stays readable.
    .addColumn('invited_by', 'text')
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('callback_url', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('responded_at', 'bigint')
    .addColumn('accepted_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('invitations_token_hash').on('invitations').column('token_hash').unique().execute();
  // At most one pending invitation per (resource, email): a re-invite replaces it (OP-24); races lose here.
  await db.schema
    .createIndex('invitations_pending_unique')
    .on('invitations')
    .columns(['resource_type', 'resource_id', 'email_normalized'])
    .unique()
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema.createIndex('invitations_email').on('invitations').columns(['email_normalized', 'created_at']).execute();
  await db.schema.createIndex('invitations_inviter').on('invitations').columns(['invited_by', 'created_at']).execute();
  await db.schema.createIndex('invitations_resource').on('invitations').columns(['resource_type', 'resource_id', 'created_at']).execute();

  // U01 sorts (auth-api.md §7): every sortBy walks an index over live users; createdAt uses
  // 0001's users_created_at, email the live-unique users_email_live_unique.
  const live = (name: string, columns: string[]) =>
    db.schema.createIndex(name).on('users').columns(columns).where(sql.ref('deleted_at'), 'is', null).execute();
  await live('users_live_updated_at', ['updated_at', 'id']);
  await live('users_live_name', ['name', 'id']);
  await live('users_live_role', ['role', 'created_at', 'id']);
  // Serves both the purge job (auth-api.md §8.8: `deleted_at < cutoff`) and U01's `total`
  // (`count(*) … where deleted_at is null` reads this narrow index instead of every row).
  await db.schema.createIndex('users_deleted_at').on('users').column('deleted_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['users_deleted_at', 'users_live_role', 'users_live_name', 'users_live_updated_at']) {
    await db.schema.dropIndex(index).ifExists().execute();
  }
  for (const table of ['invitations', 'memberships', 'avatar_uploads', 'user_profiles']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
