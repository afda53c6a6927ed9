import type { Insertable, Updateable } from 'kysely';
import type { Db } from '../db/transaction.js';
import type { AccountsTable } from '../db/types.js';
import type { OauthProvidersTable, OauthStatesTable } from './tables.js';

export function findProviderRow(db: Db, provider: string) {
  return db.selectFrom('oauth_providers').selectAll().where('provider', '=', provider).executeTakeFirst();
}

export async function upsertProviderRow(db: Db, row: OauthProvidersTable): Promise<void> {
  const { provider, ...rest } = row;
  await db
    .insertInto('oauth_providers')
    .values(row)
    .onConflict((oc) => oc.column('provider').doUpdateSet(rest satisfies Updateable<OauthProvidersTable>))
    .execute();
}

export async function deleteProviderRow(db: Db, provider: string): Promise<boolean> {
  const result = await db.deleteFrom('oauth_providers').where('provider', '=', provider).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export function insertState(db: Db, row: Insertable<OauthStatesTable>) {
  return db.insertInto('oauth_states').values(row).execute();
}

/**
 * Single use: the row is deleted by the request that reads it. DELETE … RETURNING on both databases,
 * so two callbacks racing with one state cannot both get the record.
 */
export function takeState(db: Db, stateHash: string) {
  return db.deleteFrom('oauth_states').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
}

export function deleteExpiredStates(db: Db, now: number) {
  return db.deleteFrom('oauth_states').where('expires_at', '<=', now).execute();
}

/** Record an ID token as used; false when it was used before (replay). */
export async function markIdTokenUsed(db: Db, tokenHash: string, expiresAt: number, now: number): Promise<boolean> {
  await db.deleteFrom('oauth_used_id_tokens').where('expires_at', '<=', now).execute();
  const inserted = await db
    .insertInto('oauth_used_id_tokens')
    .values({ token_hash: tokenHash, expires_at: expiresAt })
    .onConflict((oc) => oc.column('token_hash').doNothing())
    .returning('token_hash')
    .executeTakeFirst();
  return inserted !== undefined;
}

export function findAccountByIdentity(db: Db, provider: string, providerAccountId: string) {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('provider', '=', provider)
    .where('provider_account_id', '=', providerAccountId)
    .executeTakeFirst();
}

export function findAccountOfUser(db: Db, userId: string, provider: string) {
  return db.selectFrom('accounts').selectAll().where('user_id', '=', userId).where('provider', '=', provider).executeTakeFirst();
}

export function listAccountsOfUser(db: Db, userId: string, limit: number, offset: number) {
  return db.selectFrom('accounts').selectAll().where('user_id', '=', userId).orderBy('created_at', 'asc').orderBy('id', 'asc').limit(limit).offset(offset).execute();
}

export async function countAccountsOfUser(db: Db, userId: string): Promise<number> {
  const row = await db.selectFrom('accounts').select((eb) => eb.fn.countAll().as('count')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return Number(row.count);
}

export function insertAccountRow(db: Db, row: Insertable<AccountsTable>) {
  return db.insertInto('accounts').values(row).execute();
}

export function deleteAccountRow(db: Db, id: string) {
  return db.deleteFrom('accounts').where('id', '=', id).execute();
}

/** Serialises link/unlink of one user on PostgreSQL (SQLite has a single writer anyway). */
export async function lockUserRow(db: Db, userId: string): Promise<void> {
  await db.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
}

/** A21: does any account hold this identity? */
export async function accountIdentityExists(db: Db, provider: string, providerAccountId: string): Promise<boolean> {
  const row = await db.selectFrom('accounts').select('id').where('provider', '=', provider).where('provider_account_id', '=', providerAccountId).executeTakeFirst();
  return row !== undefined;
}
