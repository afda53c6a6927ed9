import type { Insertable } from 'kysely';
import type { Db } from '../db/transaction.js';
import type { MfaBackupCodesTable, MfaChallengesTable, MfaTotpTable } from './tables.js';

export function findTotp(db: Db, userId: string) {
  return db.selectFrom('mfa_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/**
 * A new enable call replaces any pending set-up (auth-api.md A15). One statement, so concurrent calls
 * cannot both insert (the last one wins). An *active* secret is never overwritten: false when the row is
 * active (MFA got enabled since the caller read the user).
 */
export async function upsertPendingTotp(db: Db, row: Insertable<MfaTotpTable>): Promise<boolean> {
  const { user_id: _userId, ...replacement } = row;
  const result = await db
    .insertInto('mfa_totp')
    .values(row)
    .onConflict((oc) => oc.column('user_id').doUpdateSet(replacement).where('mfa_totp.status', '=', 'pending'))
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function activateTotp(db: Db, userId: string, step: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('mfa_totp')
    .set({ status: 'active', pending_codes_sealed: null, pending_expires_at: null, last_used_step: step, confirmed_at: now })
    .where('user_id', '=', userId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Claim a TOTP step: succeeds only if no equal or later step was accepted before. The condition sits
 * in the UPDATE, so two concurrent requests with the same code cannot both win (replay, ASVS 6.5.1).
 */
export async function claimTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('mfa_totp')
    .set({ last_used_step: step })
    .where('user_id', '=', userId)
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export function deleteMfaOfUser(db: Db, userId: string) {
  return Promise.all([
    db.deleteFrom('mfa_totp').where('user_id', '=', userId).execute(),
    db.deleteFrom('mfa_backup_codes').where('user_id', '=', userId).execute(),
    deleteChallengesOfUser(db, userId),
  ]);
}

/** A new password ends the sign-ins half-done with the old one (their second-factor step). */
export function deleteChallengesOfUser(db: Db, userId: string) {
  return db.deleteFrom('mfa_challenges').where('user_id', '=', userId).execute();
}

export function insertBackupCodes(db: Db, rows: Insertable<MfaBackupCodesTable>[]) {
  return db.insertInto('mfa_backup_codes').values(rows).execute();
}

export function listUnusedBackupCodes(db: Db, userId: string) {
  return db.selectFrom('mfa_backup_codes').select(['id', 'code_hash']).where('user_id', '=', userId).where('used_at', 'is', null).execute();
}

/** Single use even under concurrency: only the request that flips `used_at` wins. */
export async function useBackupCode(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable('mfa_backup_codes').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export function insertChallenge(db: Db, row: Insertable<MfaChallengesTable>) {
  return db.insertInto('mfa_challenges').values(row).execute();
}

export function findChallenge(db: Db, tokenHash: string) {
  return db.selectFrom('mfa_challenges').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function deleteChallenge(db: Db, tokenHash: string): Promise<boolean> {
  const result = await db.deleteFrom('mfa_challenges').where('token_hash', '=', tokenHash).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Count a wrong code; returns the new count (0 when the challenge is gone). */
export async function countChallengeFailure(db: Db, tokenHash: string): Promise<number> {
  await db
    .updateTable('mfa_challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('token_hash', '=', tokenHash)
    .execute();
  const row = await db.selectFrom('mfa_challenges').select('attempts').where('token_hash', '=', tokenHash).executeTakeFirst();
  return row ? Number(row.attempts) : 0;
}

export function deleteExpiredChallenges(db: Db, now: number) {
  return db.deleteFrom('mfa_challenges').where('expires_at', '<=', now).execute();
}
