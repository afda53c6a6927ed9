import { recordAudit } from '../audit/record.js';
import { parseEmail } from '../auth/email-address.js';
import type { AppContext } from '../context.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { assertAllowedRedirect } from '../oauth/redirect-allow-list.js';
import { findLiveUser, findLiveUserByEmail, updateUser } from '../users/queries.js';
import { composeEmail } from './compose-email.js';
import { deliverInBackground } from './delivery.js';
import { appendQuery, issueEmailToken, lookupEmailToken } from './email-tokens.js';
import { claimEmailToken, updateEmailAccountIdentity, voidEmailChangeTokens } from './queries.js';
import { chargeAddressEmailBudget, spendAddressEmailBudget, spendIpEmailBudget } from './send-limits.js';
import { VERIFICATION_PURPOSES } from './tables.js';

type Addressee = Pick<UsersTable, 'id' | 'email' | 'email_normalized' | 'name'>;

function checkedCallback(ctx: AppContext, callbackUrl: string | undefined): string | undefined {
  return callbackUrl === undefined ? undefined : assertAllowedRedirect(callbackUrl, ctx.config.allowedRedirectUrls, 'callbackUrl').toString();
}

/** `signup_confirmation` with the A32 link (§8.4 [P]): `<public URL>/v1/auth/signup/email/confirm?token&email[&callbackUrl]`. */
function queueSignupConfirmation(ctx: AppContext, user: Addressee, callbackUrl: string | undefined): void {
  deliverInBackground(ctx, 'signup_confirmation', async () => {
    const ttlMs = ctx.config.emailFlows.emailVerificationTtl * 1000;
    const token = await issueEmailToken(ctx, { purpose: 'signup_verification', email: user.email, emailNormalized: user.email_normalized, userId: user.id, ttlMs });
    const params: Record<string, string> = { token, email: user.email };
    if (callbackUrl) params.callbackUrl = callbackUrl;
    const verifyLink = appendQuery(`${ctx.config.publicUrl}/v1/auth/signup/email/confirm`, params);
    await ctx.mailer.send(
      await composeEmail(ctx, {
        template: 'signup_confirmation',
        to: user.email,
        userId: user.id,
        variables: { userName: user.name, userEmail: user.email, verifyLink },
        expiresInMinutes: ttlMs / 60_000,
      }),
    );
  });
}

/** Checked by A01 before the account is written, so a refused `callbackUrl` creates nothing. */
export function assertSignupCallbackUrl(ctx: AppContext, callbackUrl: string | undefined): string | undefined {
  return checkedCallback(ctx, callbackUrl);
}

/**
 * A01-P's automatic first email (OP-9): it counts against the address budget (so a resend right after
 * sign-up waits its 60 s) but can never refuse the sign-up that already happened.
 */
export async function sendSignupConfirmation(ctx: AppContext, user: Addressee, callbackUrl: string | undefined): Promise<void> {
  await chargeAddressEmailBudget(ctx, user.email_normalized);
  queueSignupConfirmation(ctx, user, callbackUrl);
}

/** A31: unknown addresses get the same answer and no mail; a verified one gets the documented 400 (OP-44). */
export async function resendSignupConfirmation(ctx: AppContext, input: { email: string; callbackUrl?: string }, meta: RequestMeta): Promise<{ message: string; email: string }> {
  await spendIpEmailBudget(ctx, meta);
  const { email, normalized } = parseEmail(input.email);
  const callbackUrl = checkedCallback(ctx, input.callbackUrl);
  await spendAddressEmailBudget(ctx, normalized);
  const user = await findLiveUserByEmail(ctx.db, normalized);
  if (user && user.email_verified_at !== null) throw alreadyVerified();
  if (user && user.banned_at === null) queueSignupConfirmation(ctx, user, callbackUrl);
  return { message: 'If this address has an unverified account, a confirmation email has been sent', email };
}

/**
 * A28 / A30 (OP-11). Without a JWT: verify the account that has this address (unknown → same answer,
 * no mail). With a JWT and another address: a pending change of the caller's email, applied on
 * confirm; an address another account holds → 409 (documented).
 */
export async function sendContactVerification(
  ctx: AppContext,
  input: { email: string; callbackUrl?: string },
  caller: UsersTable | undefined,
  meta: RequestMeta,
): Promise<{ message: string; email: string }> {
  await spendIpEmailBudget(ctx, meta);
  const { email, normalized } = parseEmail(input.email);
  const callbackUrl = checkedCallback(ctx, input.callbackUrl);
  const owner = await findLiveUserByEmail(ctx.db, normalized);

  let target: Addressee | undefined;
  let recipient = email;
  const addressChange = caller !== undefined && caller.email_normalized !== normalized;
  if (addressChange) {
    if (owner) throw new AppError('auth/email-already-exists', 'Another account already uses this email');
    target = caller;
  } else {
    const user = caller ?? owner;
    if (user && user.email_verified_at !== null) throw alreadyVerified();
    if (user && user.banned_at === null) {
      target = user;
      recipient = user.email;
    }
  }
  await spendAddressEmailBudget(ctx, normalized);

  if (target) {
    const addressee = target;
    deliverInBackground(ctx, 'email_verification', async () => {
      const ttlMs = ctx.config.emailFlows.emailVerificationTtl * 1000;
      // A change request voids the caller's other pending changes (newest wins per account, not only per address).
      const token = await issueEmailToken(ctx, { purpose: 'email_verification', email: recipient, emailNormalized: normalized, userId: addressee.id, ttlMs, addressChange });
      const base = callbackUrl ?? `${ctx.config.publicUrl}/v1/auth/signup/email/confirm`;
      const verifyLink = appendQuery(base, { token, email: recipient });
      await ctx.mailer.send(
        await composeEmail(ctx, {
          template: 'email_verification',
          to: recipient,
          userId: addressee.id,
          variables: { userName: addressee.name, userEmail: recipient, verifyLink },
          expiresInMinutes: ttlMs / 60_000,
        }),
      );
    });
  }
  return { message: 'A verification email has been sent if the address can be verified', email };
}

/**
 * A29 and A32: email + token. The token is claimed in the transaction that marks the address
 * verified (or applies the pending change), so of two concurrent confirms exactly one succeeds.
 */
export async function confirmEmailVerification(ctx: AppContext, input: { email: string; token: string }, meta: RequestMeta): Promise<{ email: string }> {
  const { normalized } = parseEmail(input.email);
  const now = ctx.clock.now();
  const found = await lookupEmailToken(ctx.db, input.token, VERIFICATION_PURPOSES, now);
  if (found.state === 'unknown' || found.row.email_normalized !== normalized) throw invalidToken();
  const user = found.row.user_id ? await findLiveUser(ctx.db, found.row.user_id) : undefined;
  const sameAddress = user !== undefined && user.email_normalized === normalized;
  // A second click on a link that already worked is answered kindly; anything else used is unknown.
  if (found.state === 'used') throw sameAddress && user.email_verified_at !== null ? alreadyVerified() : invalidToken();
  if (found.state === 'expired') throw new AppError('auth/token-expired', 'This verification link has expired; request a new one');
  if (!user) throw invalidToken();
  if (sameAddress && user.email_verified_at !== null) throw alreadyVerified();

  try {
    await ctx.db.transaction().execute(async (trx) => {
      const at = ctx.clock.now();
      if (!(await claimEmailToken(trx, found.row.token_hash, VERIFICATION_PURPOSES, at))) throw invalidToken();
      if (sameAddress) {
        await updateUser(trx, user.id, { email_verified_at: at, updated_at: at });
      } else {
        // OP-11: the pending change lands now; the `email` credential follows the address.
        await updateUser(trx, user.id, { email: found.row.email, email_normalized: normalized, email_verified_at: at, updated_at: at });
        await updateEmailAccountIdentity(trx, user.id, normalized, found.row.email);
        // Every other pending change (and the old address's sign-up link, now a change link too) dies
        // with this one: a link asked for before the change landed must not move the address again.
        await voidEmailChangeTokens(trx, user.id, at);
      }
      await recordAudit(ctx, { event: 'email.verified', userId: user.id, actor: 'user', meta, details: sameAddress ? { change: false } : { change: true } }, trx);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('auth/email-already-exists', 'Another account already uses this email');
    throw error;
  }
  ctx.cache.forgetUser(user.id);
  return { email: found.row.email };
}

function alreadyVerified(): AppError {
  return new AppError('auth/already-verified', 'This email address is already verified');
}

function invalidToken(): AppError {
  return new AppError('auth/invalid-token', 'This verification link is invalid or was already used');
}
