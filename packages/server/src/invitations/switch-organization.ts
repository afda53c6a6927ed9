import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { findSessionById } from '../sessions/queries.js';
import { rotateRefreshToken, tokenPair, type TokenPair } from '../sessions/sessions.js';
import { membershipOn } from './memberships.js';

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
    const next = await rotateRefreshToken(ctx, trx, session, { now, ip: meta.ip, orgId: organizationId });
    if (!next) throw new AppError('auth/invalid-token', 'Session has ended');
    await recordAudit(ctx, { event: 'session.organization_switched', userId: caller.user.id, sessionId: session.id, actor: 'user', meta, details: { organizationId, role: membership.role } }, trx);
    return next;
  });
  ctx.cache.forgetSession(caller.sessionId);
  return tokenPair(ctx, caller.user, { sessionId: caller.sessionId, refreshToken: next, orgId: organizationId });
}
