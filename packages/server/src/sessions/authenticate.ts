import type { AppContext } from '../context.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import type { AccessClaims } from '../tokens/signing-keys.js';
import type { CachedSession, SessionState } from './auth-cache.js';
import { findSessionWithUser, touchSession } from './queries.js';

// lastActivityAt is written at most once a minute outside refresh (auth-api.md OP-39).
const ACTIVITY_WRITE_INTERVAL_MS = 60_000;

/**
 * The hot path: verify the JWT (cached per token), then check that its session is live and its user
 * exists and is not banned (decisions.md §3 order). Revocation is stateful (auth-api.md OP-7).
 */
export async function authenticateBearer(
  ctx: AppContext,
  authorization: string,
): Promise<{ claims: AccessClaims; session: SessionState; user: UsersTable }> {
  const match = /^Bearer +([^\s]+)$/i.exec(authorization);
  if (!match) throw new AppError('auth/unauthorized', 'Authorization header must be "Bearer <accessToken>"');
  const claims = await ctx.keys.verifyAccessToken(match[1]);
  const cached = await ctx.cache.session(claims.sid, () => loadSession(ctx, claims.sid));
  const now = ctx.clock.now();
  if (!cached || cached.session.userId !== claims.sub || cached.session.revokedAt !== null || cached.session.expiresAt <= now) {
    throw new AppError('auth/invalid-token', 'Session has ended');
  }
  const user = cached.user;
  if (!user || user.deleted_at !== null || user.banned_at !== null) throw new AppError('auth/invalid-token', 'Session has ended');
  if (now - cached.session.lastActivityAt > ACTIVITY_WRITE_INTERVAL_MS) {
    cached.session.lastActivityAt = now;
    touchSession(ctx.db, claims.sid, now).catch((error) => ctx.log.warn({ err: error }, 'could not record session activity'));
  }
  return { claims, session: cached.session, user };
}

async function loadSession(ctx: AppContext, sid: string): Promise<CachedSession | undefined> {
  const row = await findSessionWithUser(ctx.db, sid);
  if (!row) return undefined;
  const {
    session_id, session_user_id, session_revoked_at, session_expires_at, session_last_activity_at, session_org_id, ...user
  } = row;
  return {
    session: {
      id: session_id,
      userId: session_user_id,
      revokedAt: session_revoked_at,
      expiresAt: session_expires_at,
      lastActivityAt: session_last_activity_at,
      orgId: session_org_id,
    },
    user: user as UsersTable,
  };
}
