import type { Kysely } from 'kysely';

// Social sign-in (auth-api.md §8.2, §12, decisions.md §5 E1) and TOTP MFA (§8.5, OP-13–OP-16).
// One-time values are stored as SHA-256 (≥ 256-bit random), secrets sealed with LATCH_SECRET,
// backup codes as argon2id (short, human-typed).
export async function up(db: Kysely<any>): Promise<void> {
  // E4/E5 settings; a missing row means "seeded from LATCH_GOOGLE_* / LATCH_GITHUB_*".
  await db.schema
    .createTable('oauth_providers')
    .addColumn('provider', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text')
    .addColumn('client_secret_sealed', 'text')
    .addColumn('redirect_uri', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // E1 state records: single use, 10-minute life, PKCE verifier sealed (RFC 7636, RFC 9700 §2.1.1).
  await db.schema
    .createTable('oauth_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('code_verifier_sealed', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('redirect', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('link_user_id', 'text')
    .addColumn('link_session_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth_states_expires').on('oauth_states').column('expires_at').execute();

  // ID tokens posted directly by apps (client-driven form) are accepted once (replay defence).
  await db.schema
    .createTable('oauth_used_id_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('mfa_totp')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // The pending set-up's backup codes, sealed until confirm hashes them (A16 returns the same set).
    .addColumn('pending_codes_sealed', 'text')
    .addColumn('pending_expires_at', 'bigint')
    // Highest 30-s step already accepted: a code is never accepted twice (ASVS 6.5.1, RFC 6238 §5.2).
    .addColumn('last_used_step', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('confirmed_at', 'bigint')
    .execute();

  await db.schema
    .createTable('mfa_backup_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mfa_backup_codes_user').on('mfa_backup_codes').column('user_id').execute();

  // OP-13 challenges: 5-minute, single use, voided after 5 wrong codes.
  await db.schema
    .createTable('mfa_challenges')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('flow', 'text', (c) => c.notNull())
    .addColumn('pending', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mfa_challenges_user').on('mfa_challenges').column('user_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['mfa_challenges', 'mfa_backup_codes', 'mfa_totp', 'oauth_used_id_tokens', 'oauth_states', 'oauth_providers']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
