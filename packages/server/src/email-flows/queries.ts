import type { Kysely } from 'kysely';
import type { DialectFlags } from '../db/dialect.js';
import { columnsOf, HotBatch, HotInsert } from '../db/hot-query.js';
import type { Db } from '../db/transaction.js';
import type { Database } from '../db/types.js';
import { EMAIL_TOKEN_PURPOSES, VERIFICATION_PURPOSES, type EmailTemplatesTable, type EmailTokenPurpose, type EmailTokensTable } from './tables.js';

// ---- one-time email tokens ----

const EMAIL_TOKEN_INSERT = new HotInsert<EmailTokensTable>('email_tokens', columnsOf<EmailTokensTable>({
  token_hash: true, purpose: true, email_normalized: true, email: true, user_id: true, name: true, created_at: true, expires_at: true, used_at: true,
}));

// "Newest wins" (auth-api.md §8.3, §8.4, A30): the unused tokens of this purpose and address die as the new
// one is written, in one commit (one statement on PostgreSQL, whose update does not see the new row).
const VOID_SAME_ADDRESS = 'update email_tokens set used_at = ? where purpose in (?, ?) and email_normalized = ? and used_at is null';
const replaceEmailTokenWrites = new HotBatch([VOID_SAME_ADDRESS, EMAIL_TOKEN_INSERT.sql]);

/**
 * The purposes a new token of `purpose` voids. A32 accepts both verification kinds (§8.4), so they are
 * one family: an A30 resend voids the sign-up confirmation link too ("voids the previous unused token").
 */
function isVerification(purpose: EmailTokenPurpose): boolean {
  return (VERIFICATION_PURPOSES as readonly EmailTokenPurpose[]).includes(purpose);
}

function voidedPurposes(purpose: EmailTokenPurpose): [EmailTokenPurpose, EmailTokenPurpose] {
  return isVerification(purpose) ? [...VERIFICATION_PURPOSES] : [purpose, purpose];
}

/** Store `row` and void the other unused tokens of its purpose (family) and address. */
export function replaceEmailToken(db: Kysely<Database>, dialect: DialectFlags, row: EmailTokensTable) {
  return replaceEmailTokenWrites.run(db, dialect, [
    [row.created_at, ...voidedPurposes(row.purpose), row.email_normalized],
    EMAIL_TOKEN_INSERT.values(row),
  ]);
}

/**
 * An address-change link (OP-11) is a verification token of an account for an address other than the
 * account's current one: A29/A32 apply any such link as a change. The user's current address is read
 * by the statement itself, so a change confirmed meanwhile is taken into account.
 */
const VOID_OTHER_CHANGE_LINKS =
  `update email_tokens set used_at = ? where user_id = ? and purpose in (${VERIFICATION_PURPOSES.map((p) => `'${p}'`).join(', ')}) and used_at is null` +
  ' and email_normalized <> ? and email_normalized <> (select email_normalized from users where id = ?)';

// A newer change request voids the user's pending change to any other address too (A30 "voids the previous
// unused token"; an old link to a mistyped or since-abandoned address must not move the account later).
// The second write leaves the new address's tokens to the first one (no row is updated twice).
const replaceEmailChangeTokenWrites = new HotBatch([
  VOID_SAME_ADDRESS,
  VOID_OTHER_CHANGE_LINKS,
  EMAIL_TOKEN_INSERT.sql,
]);

/**
 * Store an address-change link `row` (an `email_verification` token carrying the account) and, in the
 * same commit, void the unused verification tokens of its address and the account's other change links.
 * The verification link of the account's current address is kept.
 */
export function replaceEmailChangeToken(db: Kysely<Database>, dialect: DialectFlags, row: EmailTokensTable & { user_id: string }) {
  return replaceEmailChangeTokenWrites.run(db, dialect, [
    [row.created_at, ...voidedPurposes(row.purpose), row.email_normalized],
    [row.created_at, row.user_id, row.email_normalized, row.user_id],
    EMAIL_TOKEN_INSERT.values(row),
  ]);
}

/**
 * Void the user's unused address-change links: verification tokens of the account for any address but
 * its current one (read in the same statement). The current address's verification link and reset links
 * are kept. Used when a change lands (A29/A32) and when the password changes (A12) or is reset (A11).
 */
export async function voidEmailChangeTokens(db: Db, userId: string, at: number): Promise<number> {
  const result = await db
    .updateTable('email_tokens')
    .set({ used_at: at })
    .where('user_id', '=', userId)
    .where('purpose', 'in', VERIFICATION_PURPOSES)
    .where('used_at', 'is', null)
    .where('email_normalized', '<>', (eb) => eb.selectFrom('users').select('users.email_normalized').where('users.id', '=', userId))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export function findEmailToken(db: Db, tokenHash: string, purposes: readonly EmailTokenPurpose[]) {
  return db.selectFrom('email_tokens').selectAll().where('token_hash', '=', tokenHash).where('purpose', 'in', purposes).executeTakeFirst();
}

/**
 * Claim a token: one conditional UPDATE, so of two concurrent uses exactly one sees a row changed
 * (on both databases, without a lock). Returns true for the winner.
 */
export async function claimEmailToken(db: Db, tokenHash: string, purposes: readonly EmailTokenPurpose[], now: number): Promise<boolean> {
  const result = await db
    .updateTable('email_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Housekeeping: tokens a day past their expiry are of no use, not even for a helpful error. */
export async function deleteEmailTokensExpiredBefore(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('email_tokens').where('expires_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

// ---- template overrides (E6–E9) ----

export function listTemplateOverrides(db: Db) {
  return db.selectFrom('email_templates').selectAll().orderBy('template_id').orderBy('locale').execute();
}

export function findTemplateOverride(db: Db, templateId: string, locale: string) {
  return db.selectFrom('email_templates').selectAll().where('template_id', '=', templateId).where('locale', '=', locale).executeTakeFirst();
}

export function upsertTemplateOverride(db: Db, row: EmailTemplatesTable) {
  return db
    .insertInto('email_templates')
    .values(row)
    .onConflict((oc) => oc.columns(['template_id', 'locale']).doUpdateSet({ subject: row.subject, body: row.body, updated_at: row.updated_at }))
    .execute();
}

export async function deleteTemplateOverride(db: Db, templateId: string, locale: string): Promise<boolean> {
  const result = await db.deleteFrom('email_templates').where('template_id', '=', templateId).where('locale', '=', locale).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

// ---- the addressee's preferences (U12 locale), read for the template locale ----

export async function findUserLocale(db: Db, userId: string): Promise<string | null> {
  const row = await db.selectFrom('user_profiles').select('locale').where('user_id', '=', userId).executeTakeFirst();
  return row?.locale ?? null;
}

// ---- accounts: the `email` credential follows a verified address change (A29, OP-11) ----

export function updateEmailAccountIdentity(db: Db, userId: string, emailNormalized: string, email: string) {
  return db.updateTable('accounts').set({ provider_account_id: emailNormalized, email }).where('user_id', '=', userId).where('provider', '=', 'email').execute();
}

export function findUserAccountProviders(db: Db, userId: string) {
  return db.selectFrom('accounts').select('provider').where('user_id', '=', userId).execute();
}

// ---- the first proof of a never-verified address (unproven-account.ts) ----

/** Set `email_verified_at` if it is still null; true only for the one write that did. */
export async function markEmailProven(db: Db, userId: string, at: number): Promise<boolean> {
  const result = await db.updateTable('users').set({ email_verified_at: at, updated_at: at }).where('id', '=', userId).where('email_verified_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Delete the user's linked social identities (every `accounts` row but the `email` credential); their providers, sorted. */
export async function deleteLinkedIdentities(db: Db, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('accounts').select('provider').where('user_id', '=', userId).where('provider', '!=', 'email').execute();
  if (rows.length > 0) await db.deleteFrom('accounts').where('user_id', '=', userId).where('provider', '!=', 'email').execute();
  return rows.map((row) => row.provider).sort();
}

// ---- account deletion (users/delete-user.ts) ----

/**
 * A08/U05 (auth-api.md A08 effects: pending reset, verification and magic-link tokens deleted): every
 * token acting on the user, and the unused ones sent to its address that act on nobody yet (a magic
 * link to the address), so no link outlives the account. An unused token of *another* user for this
 * address (that user's pending email change) is theirs and is kept.
 */
export function deleteEmailTokensOfUser(db: Db, userId: string, emailNormalized: string) {
  return db
    .deleteFrom('email_tokens')
    .where((eb) =>
      eb.or([
        eb('user_id', '=', userId),
        eb.and([
          // Every purpose, so the lookup walks the (purpose, email_normalized) index.
          eb('purpose', 'in', EMAIL_TOKEN_PURPOSES),
          eb('email_normalized', '=', emailNormalized),
          eb('used_at', 'is', null),
          eb('user_id', 'is', null),
        ]),
      ]),
    )
    .execute();
}
