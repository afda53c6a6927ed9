import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { sha256Hex } from '../crypto/digest.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { findSessionById, rotateSessionToken } from '../sessions/queries.js';
import { mintRefreshToken } from '../sessions/refresh-token.js';
import { REFRESH_MAC_PURPOSE, tokenPair, type TokenPair } from '../sessions/sessions.js';
import { membershipOn } from './memberships.js';

// Must equal the purpose sessions/sessions.ts seals the current refresh token with, so a refresh
// with the replaced token inside the reuse interval gets this pair back (decisions.md §2).
const REFRESH_SEAL_PURPOSE = 'refresh-token';

/**
 * A09 (OP-25): only with a membership on the organization; the same session gets a new refresh
 * token and the organization, and the new access token carries `org`. The replaced refresh token is
 * retired like any rotated one: reused after the reuse interval, it revokes every session.
 */
export async function switchOrganization(
  ctx: AppContext,
  caller: { user: UsersTable; sessionId: string },
  organizationId: string,
  meta: RequestMeta,
): Promise<TokenPair> {
  const membership = await membershipOn(ctx, caller.user, 'organization', organizationId);
  if (!membership) throw new AppError('auth/forbidden', 'You are not a member of this organization');
  await ctx.limiter.consume('refreshPerSession', caller.sessionId);

  const next = await ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const session = await findSessionById(trx, caller.sessionId, ctx.dialect.rowLocks);
    if (!session || session.revoked_at !== null || session.expires_at <= now) throw new AppError('auth/invalid-token', 'Session has ended');
    const next = mintRefreshToken(ctx.sealer.macKey(REFRESH_MAC_PURPOSE), session.id, session.refresh_generation + 1);
    const rotated = await rotateSessionToken(trx, ctx.dialect, {
      id: session.id,
      generation: session.refresh_generation,
      newHash: sha256Hex(next),
      sealed: ctx.config.refreshReuseInterval > 0 ? ctx.sealer.seal(REFRESH_SEAL_PURPOSE, next) : null,
      orgId: organizationId,
      now,
      expiresAt: now + ctx.config.refreshTokenTtl * 1000,
      ip: meta.ip,
    });
    if (!rotated) throw new AppError('auth/invalid-token', 'Session has ended');
    await recordAudit(ctx, { event: 'session.organization_switched', userId: caller.user.id, sessionId: session.id, actor: 'user', meta, details: { organizationId, role: membership.role } }, trx);
    return next;
  });
  ctx.cache.forgetSession(caller.sessionId);
  return tokenPair(ctx, caller.user, { sessionId: caller.sessionId, refreshToken: next, orgId: organizationId });
}
