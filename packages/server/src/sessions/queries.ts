import type { Db } from '../db/transaction.js';
import type { SessionsTable } from '../db/types.js';

export type SessionRow = SessionsTable;

export function insertSession(db: Db, row: SessionRow) {
  return db.insertInto('sessions').values(row).execute();
}

/** Session and its user in one round trip: the hot path's only query. */
export function findSessionWithUser(db: Db, sessionId: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id as session_id',
      'sessions.user_id as session_user_id',
      'sessions.revoked_at as session_revoked_at',
      'sessions.expires_at as session_expires_at',
      'sessions.last_activity_at as session_last_activity_at',
      'sessions.org_id as session_org_id',
    ])
    .selectAll('users')
    .where('sessions.id', '=', sessionId)
    .executeTakeFirst();
}

export function findSessionByRefreshHash(db: Db, hash: string, lock: boolean) {
  const query = db.selectFrom('sessions').selectAll().where('refresh_token_hash', '=', hash);
  return (lock ? query.forUpdate() : query).executeTakeFirst();
}

export function findSessionById(db: Db, id: string, lock: boolean) {
  const query = db.selectFrom('sessions').selectAll().where('id', '=', id);
  return (lock ? query.forUpdate() : query).executeTakeFirst();
}

export function findRetiredToken(db: Db, hash: string) {
  return db.selectFrom('retired_refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

export function insertRetiredToken(db: Db, row: { token_hash: string; session_id: string; user_id: string; rotated_at: number }) {
  return db.insertInto('retired_refresh_tokens').values(row).execute();
}

/** Rotation is a compare-and-swap on the current hash: a concurrent rotation makes it match nothing. */
export async function rotateSessionToken(
  db: Db,
  input: { id: string; oldHash: string; newHash: string; sealed: string | null; now: number; expiresAt: number; ip: string | null; orgId?: string },
) {
  const result = await db
    .updateTable('sessions')
    .set({
      refresh_token_hash: input.newHash,
      current_token_sealed: input.sealed,
      rotated_at: input.now,
      last_activity_at: input.now,
      expires_at: input.expiresAt,
      ip_address: input.ip,
      // switch-organization (A09) puts the organization on the session in the same rotation.
      ...(input.orgId === undefined ? {} : { org_id: input.orgId }),
    })
    .where('id', '=', input.id)
    .where('refresh_token_hash', '=', input.oldHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export function revokeSessionRow(db: Db, id: string, reason: string, now: number) {
  return db
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason, current_token_sealed: null })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function revokeUserSessions(db: Db, userId: string, reason: string, now: number): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason, current_token_sealed: null })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export function listLiveSessions(db: Db, userId: string, now: number, limit: number, offset: number) {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('last_activity_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

export async function countLiveSessions(db: Db, userId: string, now: number): Promise<number> {
  const row = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export function touchSession(db: Db, id: string, now: number) {
  return db.updateTable('sessions').set({ last_activity_at: now }).where('id', '=', id).execute();
}


export async function wipeSealedTokensRotatedBefore(db: Db, before: number): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ current_token_sealed: null })
    .where('current_token_sealed', 'is not', null)
    .where('rotated_at', '<', before)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Sessions that expired, or were revoked, before `before` (retired token hashes go with them). */
export async function deleteDeadSessions(db: Db, expiredBefore: number, revokedBefore: number): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<', expiredBefore), eb('revoked_at', '<', revokedBefore)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
