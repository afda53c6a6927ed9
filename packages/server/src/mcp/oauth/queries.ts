import type { Db } from '../../db/transaction.js';
import type { McpOauthClientsTable, McpOauthCodesTable, McpOauthGrantsTable, McpOauthRefreshTokensTable } from '../tables.js';

/** The only code touching the MCP OAuth tables. */
export function insertClient(db: Db, row: McpOauthClientsTable) {
  return db.insertInto('mcp_oauth_clients').values(row).execute();
}

export function findClient(db: Db, id: string) {
  return db.selectFrom('mcp_oauth_clients').selectAll().where('id', '=', id).executeTakeFirst();
}

export function insertCode(db: Db, row: McpOauthCodesTable) {
  return db.insertInto('mcp_oauth_codes').values(row).execute();
}

export function findCode(db: Db, codeHash: string) {
  return db.selectFrom('mcp_oauth_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
}

/** Single use: only the first caller flips used_at (true when this call consumed it). */
export async function consumeCode(db: Db, codeHash: string, now: number): Promise<boolean> {
  const result = await db.updateTable('mcp_oauth_codes').set({ used_at: now }).where('code_hash', '=', codeHash).where('used_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export function setCodeGrant(db: Db, codeHash: string, grantId: string) {
  return db.updateTable('mcp_oauth_codes').set({ grant_id: grantId }).where('code_hash', '=', codeHash).execute();
}

export function insertGrant(db: Db, row: McpOauthGrantsTable) {
  return db.insertInto('mcp_oauth_grants').values(row).execute();
}

export function findGrant(db: Db, id: string) {
  return db.selectFrom('mcp_oauth_grants').selectAll().where('id', '=', id).executeTakeFirst();
}

export function revokeGrant(db: Db, id: string, reason: string, now: number) {
  return db.updateTable('mcp_oauth_grants').set({ revoked_at: now, revoked_reason: reason }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/**
 * End a user's MCP OAuth access (password change or reset, ban, deletion: sessions.ts revokeAllSessions):
 * every live grant is revoked with the same reason, which stops its access tokens (bearer.ts checks the
 * grant on every call) and its refresh tokens; codes not yet exchanged are deleted so none becomes a
 * grant afterwards. Runs on the caller's transaction. Returns the number of grants revoked.
 */
export async function revokeGrantsOfUser(db: Db, userId: string, reason: string, now: number): Promise<number> {
  const result = await db
    .updateTable('mcp_oauth_grants')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  await db.deleteFrom('mcp_oauth_codes').where('user_id', '=', userId).where('used_at', 'is', null).execute();
  return Number(result.numUpdatedRows);
}

export function insertRefreshToken(db: Db, row: McpOauthRefreshTokensTable) {
  return db.insertInto('mcp_oauth_refresh_tokens').values(row).execute();
}

export function findRefreshToken(db: Db, tokenHash: string) {
  return db.selectFrom('mcp_oauth_refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Rotation: only the first caller marks the token used (a second one is a replay). */
export async function useRefreshToken(db: Db, tokenHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('mcp_oauth_refresh_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
