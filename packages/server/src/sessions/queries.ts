import type { DialectFlags } from '../db/dialect.js';
import { columnsOf, HotInsert, HotQuery } from '../db/hot-query.js';
import type { Db } from '../db/transaction.js';
import type { SessionsTable } from '../db/types.js';

export type SessionRow = SessionsTable;

/** A whole `sessions` row, for the sign-up and sign-in batches. */
export const SESSION_INSERT = new HotInsert<SessionRow>('sessions', columnsOf<SessionRow>({
  id: true, user_id: true, refresh_token_hash: true, refresh_generation: true, current_token_sealed: true, rotated_at: true,
  user_agent: true, ip_address: true, device_info: true, org_id: true, created_at: true, last_activity_at: true, expires_at: true,
  revoked_at: true, revoked_reason: true,
}));

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

export function findSessionById(db: Db, id: string, lock: boolean) {
  const query = db.selectFrom('sessions').selectAll().where('id', '=', id);
  return (lock ? query.forUpdate() : query).executeTakeFirst();
}

export type SessionForRefresh = Pick<
  SessionRow,
  'id' | 'user_id' | 'refresh_token_hash' | 'refresh_generation' | 'current_token_sealed' | 'rotated_at' | 'org_id' | 'expires_at' | 'revoked_at'
> & {
  /** Null when the user row is gone. */
  u_id: string | null;
  u_role: string | null;
  u_banned_at: number | null;
  u_deleted_at: number | null;
};

// The refresh hot path: the session (row-locked on PostgreSQL) and what the answer needs of its user.
const sessionForRefresh = new HotQuery<SessionForRefresh>(
  'select s.id, s.user_id, s.refresh_token_hash, s.refresh_generation, s.current_token_sealed, s.rotated_at, s.org_id, ' +
    's.expires_at, s.revoked_at, u.id as u_id, u.role as u_role, u.banned_at as u_banned_at, u.deleted_at as u_deleted_at ' +
    'from sessions s left join users u on u.id = s.user_id where s.id = ?',
  { postgresSuffix: 'for update of s' },
);

export function findSessionForRefresh(db: Db, dialect: DialectFlags, id: string) {
  return sessionForRefresh.first(db, dialect, [id]);
}

const rotate = new HotQuery(
  'update sessions set refresh_token_hash = ?, refresh_generation = ?, current_token_sealed = ?, rotated_at = ?, ' +
    'last_activity_at = ?, expires_at = ?, ip_address = ?, org_id = ? where id = ? and refresh_generation = ? and revoked_at is null',
);

/**
 * Rotation is a compare-and-swap on the generation: a concurrent rotation makes it match nothing.
 * `orgId` is the session's organization after the rotation (switch-organization, A09, changes it).
 */
export async function rotateSessionToken(
  db: Db,
  dialect: DialectFlags,
  input: { id: string; generation: number; newHash: string; sealed: string | null; now: number; expiresAt: number; ip: string | null; orgId: string | null },
): Promise<boolean> {
  const changed = await rotate.changes(db, dialect, [
    input.newHash, input.generation + 1, input.sealed, input.now, input.now, input.expiresAt, input.ip, input.orgId, input.id, input.generation,
  ]);
  return changed === 1;
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

/** Sessions that expired, or were revoked, before `before`. */
export async function deleteDeadSessions(db: Db, expiredBefore: number, revokedBefore: number): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<', expiredBefore), eb('revoked_at', '<', revokedBefore)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
