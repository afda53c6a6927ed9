import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { sha256Hex } from '../crypto/digest.js';
import { randomToken, uuidv7 } from '../crypto/random.js';
import { commitThenFail, type Db } from '../db/transaction.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { deviceInfo } from './device-info.js';
import {
  findRetiredToken,
  findSessionById,
  findSessionByRefreshHash,
  insertRetiredToken,
  insertSession,
  revokeSessionRow,
  revokeUserSessions,
  rotateSessionToken,
  type SessionRow,
} from './queries.js';
import { findUserById } from '../users/queries.js';

const SEAL_PURPOSE = 'refresh-token';
const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  is_new_user?: boolean;
}

/** Create a session inside the caller's transaction; tokens are minted once it committed. */
export async function insertNewSession(ctx: AppContext, db: Db, userId: string, meta: RequestMeta) {
  const now = ctx.clock.now();
  const refreshToken = randomToken(32);
  const row: SessionRow = {
    id: uuidv7(now),
    user_id: userId,
    refresh_token_hash: sha256Hex(refreshToken),
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
 * A06: rotate on every refresh (auth-api.md §4.1). A token presented again inside the reuse interval gets
 * the session's current pair (OP-6, decisions.md §2); after it, every session of the user is revoked and
 * that revocation is committed even though the answer is an error.
 */
export async function refreshSession(ctx: AppContext, refreshToken: string, meta: RequestMeta): Promise<TokenPair> {
  if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) throw invalidRefresh();
  const hash = sha256Hex(refreshToken);
  let revokedUser: string | null = null;
  try {
    return await commitThenFail(ctx.db, async (trx) => {
      const now = ctx.clock.now();
      const live = await findSessionByRefreshHash(trx, hash, ctx.dialect.rowLocks);
      if (live) {
        // The per-session budget is spent inside the transaction, once the session is known: a refresh
        // costs no extra lookup; over budget, the error rolls back a transaction that wrote nothing.
        await ctx.limiter.consume('refreshPerSession', live.id);
        const user = await findUserById(trx, live.user_id);
        // decisions.md §3: the ban is checked before the session state (a ban also revokes sessions).
        if (user && user.banned_at !== null) return new AppError('auth/account-banned', 'This account is suspended');
        if (!user || user.deleted_at !== null || live.revoked_at !== null) return invalidRefresh();
        if (live.expires_at <= now) return new AppError('auth/session-expired', 'Session has expired; sign in again');
        const next = randomToken(32);
        const rotated = await rotateSessionToken(trx, {
          id: live.id,
          oldHash: hash,
          newHash: sha256Hex(next),
          sealed: ctx.config.refreshReuseInterval > 0 ? ctx.sealer.seal(SEAL_PURPOSE, next) : null,
          now,
          expiresAt: now + ctx.config.refreshTokenTtl * 1000,
          ip: meta.ip,
        });
        if (!rotated) return invalidRefresh();
        await insertRetiredToken(trx, { token_hash: hash, session_id: live.id, user_id: live.user_id, rotated_at: now });
        return tokenPair(ctx, user, { sessionId: live.id, refreshToken: next, orgId: live.org_id });
      }

      const retired = await findRetiredToken(trx, hash);
      if (!retired) return invalidRefresh();
      await ctx.limiter.consume('refreshPerSession', retired.session_id);
      const session = await findSessionById(trx, retired.session_id, ctx.dialect.rowLocks);
      const user = await findUserById(trx, retired.user_id);
      if (user && user.banned_at !== null) return new AppError('auth/account-banned', 'This account is suspended');
      const interval = ctx.config.refreshReuseInterval * 1000;
      const graceful =
        session && user && user.deleted_at === null && session.revoked_at === null && session.expires_at > now &&
        interval > 0 && now - retired.rotated_at <= interval && session.current_token_sealed !== null;
      if (graceful) {
        const current = ctx.sealer.open(SEAL_PURPOSE, session.current_token_sealed!);
        return tokenPair(ctx, user, { sessionId: session.id, refreshToken: current, orgId: session.org_id });
      }
      // Reuse of a rotated token: assume theft and end every session of the user (auth-api.md §4.1, §16.4).
      const count = await revokeUserSessions(trx, retired.user_id, 'refresh_token_reuse', now);
      revokedUser = retired.user_id;
      const audit = { userId: retired.user_id, sessionId: retired.session_id, actor: 'system', meta };
      await recordAudit(ctx, { ...audit, event: 'session.refresh_reuse_detected', outcome: 'failure' }, trx);
      await recordAudit(ctx, { ...audit, event: 'session.revoked', details: { reason: 'refresh_token_reuse', count } }, trx);
      ctx.log.warn({ userId: retired.user_id, sessionId: retired.session_id, revoked: count }, 'refresh token reuse detected');
      return invalidRefresh();
    });
  } finally {
    if (revokedUser) ctx.cache.forgetUser(revokedUser);
  }
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

/** Revoke every session of a user; pass a transaction to make it part of a larger write. */
export async function revokeAllSessions(ctx: AppContext, userId: string, reason: string, db: Db = ctx.db, actor = 'user'): Promise<number> {
  const count = await revokeUserSessions(db, userId, reason, ctx.clock.now());
  ctx.cache.forgetUser(userId);
  await recordAudit(ctx, { event: 'session.revoked', userId, actor, details: { reason, count } }, db);
  return count;
}

function invalidRefresh(): AppError {
  return new AppError('auth/invalid-refresh-token', 'Refresh token is not valid');
}
