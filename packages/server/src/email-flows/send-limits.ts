import type { AppContext } from '../context.js';
import type { RequestMeta } from '../http/request-meta.js';

/**
 * Email-sending budgets (auth-api.md §10, OP-32): per address ≥ 60 s between sends and 5 per hour,
 * per IP 30 per hour, all `auth/too-many-code-requests` with Retry-After. The address budgets are
 * shared by every flow (they protect one inbox) and spent for unknown addresses too, so a 429 never
 * tells which addresses have accounts. Registered in bootstrap.ts; shared across instances through
 * PostgreSQL or Redis like every limiter.
 */
export const EMAIL_LIMITS = {
  perIp: 'emailSendPerIp',
  interval: 'emailSendInterval',
  perAddress: 'emailSendPerAddress',
} as const;

/** Spent before anything else (even before the body is checked): bounds address spraying. */
export async function spendIpEmailBudget(ctx: Pick<AppContext, 'limiter'>, meta: RequestMeta): Promise<void> {
  await ctx.limiter.consume(EMAIL_LIMITS.perIp, meta.ip ?? 'unknown');
}

/**
 * Spent once the request is known to send (valid address, allowed link target), each budget by one atomic
 * `consume`, so simultaneous requests are counted one by one. No X-RateLimit-Remaining is reported: an
 * address's budget counts other people's requests for that address (and its sign-up), so reporting it
 * would tell a caller what happened to someone else's account (the same reason the sign-in lockout
 * counter stays hidden).
 */
export async function spendAddressEmailBudget(ctx: Pick<AppContext, 'limiter'>, emailNormalized: string): Promise<void> {
  await ctx.limiter.consume(EMAIL_LIMITS.interval, emailNormalized);
  await ctx.limiter.consume(EMAIL_LIMITS.perAddress, emailNormalized);
}

/** An email the user did not ask for by this endpoint (A01's confirmation) counts without refusing. */
export async function chargeAddressEmailBudget(ctx: Pick<AppContext, 'limiter'>, emailNormalized: string): Promise<void> {
  await Promise.all([ctx.limiter.penalize(EMAIL_LIMITS.interval, emailNormalized), ctx.limiter.penalize(EMAIL_LIMITS.perAddress, emailNormalized)]);
}
