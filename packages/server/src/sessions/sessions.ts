import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { safeEqualHex, sha256Hex } from '../crypto/digest.js';
import { uuidv7 } from '../crypto/random.js';
import { commitThenFail, type Db } from '../db/transaction.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { revokeGrantsOfUser } from '../mcp/oauth/queries.js';
import { deviceInfo } from './device-info.js';
import { MAX_GENERATION, mintRefreshToken, readRefreshToken } from './refresh-token.js';
import {
  findSessionForRefresh,
  insertSession,
  revokeSessionRow,
  revokeUserSessions,
  rotateSessionToken,
  type SessionRow,
} from './queries.js';

const SEAL_PURPOSE = 'refresh-token';
/** Key of the refresh-token MAC (refresh-token.ts), derived from LATCH_SECRET. */
const REFRESH_MAC_PURPOSE = 'refresh-token';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  is_new_user?: boolean;
}

/** A new session's row and its first refresh token (generation 0); only the token's hash is stored. */
export function newSessionRow(ctx: AppContext, userId: string, meta: RequestMeta): { row: SessionRow; refreshToken: string } {
  const now = ctx.clock.now();
  const id = uuidv7(now);
  const refreshToken = mintRefreshToken(ctx.sealer.macKey(REFRESH_MAC_PURPOSE), id, 0);
  const row: SessionRow = {
    id,
    user_id: userId,
    refresh_token_hash: sha256Hex(refreshToken),
    refresh_generation: 0,
    current_token_sealed: null,
    rotated_at: null,
    user_agent: meta.userAgent,
    ip_address: meta.ip,
    device_info: deviceInfo(meta.userAgent),
    org_id: null,
    created_at: now,
    last_activity_at: now,
    expires_at: now + ctx.config.refreshTokenTtl * 1000,
    revoked_at: null,
    revoked_reason: null,
  };
  return { row, refreshToken };
}

/** Create a session inside the caller's transaction; tokens are minted once it committed. */
export async function insertNewSession(ctx: AppContext, db: Db, userId: string, meta: RequestMeta) {
  const { row, refreshToken } = newSessionRow(ctx, userId, meta);
  await insertSession(db, row);
  return { sessionId: row.id, refreshToken };
}

export async function tokenPair(
  ctx: AppContext,
  user: Pick<UsersTable, 'id' | 'role'>,
  session: { sessionId: string; refreshToken: string; orgId?: string | null },
): Promise<TokenPair> {
  const accessToken = await ctx.keys.signAccessToken({ userId: user.id, sessionId: session.sessionId, role: user.role, org: session.orgId });
  return { accessToken, refreshToken: session.refreshToken, tokenType: 'Bearer', expiresIn: ctx.config.accessTokenTtl };
}

/**
 * A06: rotate on every refresh (auth-api.md §4.1). The token names its session and generation under a
 * MAC, so the session is read by primary key and a forged or mangled token costs no query. The current
 * generation rotates; the one just before it, presented again inside the reuse interval, gets the
 * session's current pair (OP-6, decisions.md §2); any other earlier generation is reuse: every session
 * of the user is revoked and that revocation is committed even though the answer is an error.
 */
export async function refreshSession(ctx: AppContext, refreshToken: string, meta: RequestMeta): Promise<TokenPair> {
  const macKey = ctx.sealer.macKey(REFRESH_MAC_PURPOSE);
  const claims = readRefreshToken(macKey, refreshToken);
  if (!claims) throw invalidRefresh();
  // The per-session budget is spent before the transaction (the MAC vouches for the session id), so the
  // transaction never holds its connection across a round trip to the limiter's store.
  await ctx.limiter.consume('refreshPerSession', claims.sessionId);
  let revokedUser: string | null = null;
  try {
    // The access token is signed once the transaction committed: signing may hop to another thread,
    // and SQLite's one connection must not wait on it.
    const issue = await commitThenFail(ctx.db, async (trx) => {
      const now = ctx.clock.now();
      const session = await findSessionForRefresh(trx, ctx.dialect, claims.sessionId);
      if (!session) return invalidRefresh();
      // decisions.md §3: the ban is checked before the session state (a ban also revokes sessions).
      if (session.u_banned_at !== null) return new AppError('auth/account-banned', 'This account is suspended');
      const user = session.u_id === null || session.u_deleted_at !== null ? null : { id: session.u_id, role: session.u_role! };
      const alive = user !== null && session.revoked_at === null;

      if (claims.generation === session.refresh_generation) {
        // The MAC already vouches for the token; the stored hash makes the current one single-use even
        // to someone who could forge MACs.
        if (!alive || !safeEqualHex(sha256Hex(refreshToken), session.refresh_token_hash)) return invalidRefresh();
        if (session.expires_at <= now) return new AppError('auth/session-expired', 'Session has expired; sign in again');
        const next = await rotateRefreshToken(ctx, trx, session, { now, ip: meta.ip, orgId: session.org_id });
        if (!next) return invalidRefresh();
        return { user, session: { sessionId: session.id, refreshToken: next, orgId: session.org_id } };
      }
      // A later generation than the session's was never handed out (only a forged MAC could make one).
      if (claims.generation > session.refresh_generation) return invalidRefresh();

      const interval = ctx.config.refreshReuseInterval * 1000;
      const justRotated =
        interval > 0 && claims.generation === session.refresh_generation - 1 && session.rotated_at !== null && now - session.rotated_at <= interval;
      if (justRotated && alive && session.expires_at > now && session.current_token_sealed !== null) {
        const current = ctx.sealer.open(SEAL_PURPOSE, session.current_token_sealed!);
        return { user: user!, session: { sessionId: session.id, refreshToken: current, orgId: session.org_id } };
      }
      // The other tab of a session that has just ended (sign-out, A14, expiry) is no thief: refused, and
      // nothing else is revoked (decisions.md §2: the interval exists so two tabs do not sign the user out
      // everywhere; A07/A14 end one session).
      if (justRotated) return invalidRefresh();
      // Reuse of a rotated token: assume theft and end every session of the user (auth-api.md §4.1, §16.4).
      const count = await revokeUserSessions(trx, session.user_id, 'refresh_token_reuse', now);
      revokedUser = session.user_id;
      const audit = { userId: session.user_id, sessionId: session.id, actor: 'system', meta };
      await recordAudit(ctx, { ...audit, event: 'session.refresh_reuse_detected', outcome: 'failure' }, trx);
      await recordAudit(ctx, { ...audit, event: 'session.revoked', details: { reason: 'refresh_token_reuse', count } }, trx);
      ctx.log.warn({ userId: session.user_id, sessionId: session.id, revoked: count }, 'refresh token reuse detected');
      return invalidRefresh();
    });
    return await tokenPair(ctx, issue.user, issue.session);
  } finally {
    if (revokedUser) ctx.cache.forgetUser(revokedUser);
  }
}

/**
 * Rotate a session's refresh token inside `db`'s transaction (refresh, switch-organization): the next
 * generation, its hash, its sealed copy for the reuse interval, a renewed expiry. Null when a
 * concurrent rotation won or the counter is exhausted.
 */
export async function rotateRefreshToken(
  ctx: AppContext,
  db: Db,
  session: { id: string; refresh_generation: number },
  input: { now: number; ip: string | null; orgId: string | null },
): Promise<string | null> {
  if (session.refresh_generation >= MAX_GENERATION) return null;
  const next = mintRefreshToken(ctx.sealer.macKey(REFRESH_MAC_PURPOSE), session.id, session.refresh_generation + 1);
  const rotated = await rotateSessionToken(db, ctx.dialect, {
    id: session.id,
    generation: session.refresh_generation,
    newHash: sha256Hex(next),
    sealed: ctx.config.refreshReuseInterval > 0 ? ctx.sealer.seal(SEAL_PURPOSE, next) : null,
    now: input.now,
    expiresAt: input.now + ctx.config.refreshTokenTtl * 1000,
    ip: input.ip,
    orgId: input.orgId,
  });
  return rotated ? next : null;
}

export async function revokeSession(ctx: AppContext, session: { id: string; userId: string }, reason: string, meta?: RequestMeta): Promise<boolean> {
  const result = await revokeSessionRow(ctx.db, session.id, reason, ctx.clock.now());
  ctx.cache.forgetSession(session.id);
  const revoked = Number(result.numUpdatedRows) === 1;
  if (revoked) {
    await recordAudit(ctx, { event: 'session.revoked', userId: session.userId, sessionId: session.id, actor: 'user', meta, details: { reason, count: 1 } });
  }
  return revoked;
}

/**
 * Revoke every session of a user; pass a transaction to make it part of a larger write. The user's MCP
 * OAuth grants end with them (password change/reset, ban, deletion: auth-api.md "revocation is
 * stateful" covers every credential the old password or the account issued).
 */
export async function revokeAllSessions(ctx: AppContext, userId: string, reason: string, db: Db = ctx.db, actor = 'user'): Promise<number> {
  const now = ctx.clock.now();
  const count = await revokeUserSessions(db, userId, reason, now);
  await revokeGrantsOfUser(db, userId, reason, now);
  ctx.cache.forgetUser(userId);
  await recordAudit(ctx, { event: 'session.revoked', userId, actor, details: { reason, count } }, db);
  return count;
}

function invalidRefresh(): AppError {
  return new AppError('auth/invalid-refresh-token', 'Refresh token is not valid');
}
