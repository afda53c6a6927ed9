import { recordAudit } from '../audit/record.js';
import { parseEmail } from '../auth/email-address.js';
import { emailSettings } from '../auth/email-settings.js';
import { assertPasswordAcceptable } from '../auth/password-policy.js';
import { endWhatTheOldPasswordOpened } from '../auth/password-replaced.js';
import type { AppContext } from '../context.js';
import { uuidv7 } from '../crypto/random.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { assertAllowedRedirect } from '../oauth/redirect-allow-list.js';
import { findAccountsOfUsers, findLiveUser, findLiveUserByEmail, insertAccount, updateUser } from '../users/queries.js';
import { composeEmail } from './compose-email.js';
import { deliverInBackground } from './delivery.js';
import { appendQuery, issueEmailToken, lookupEmailToken } from './email-tokens.js';
import { claimEmailToken } from './queries.js';
import { spendAddressEmailBudget, spendIpEmailBudget } from './send-limits.js';
import { proveAddress } from './unproven-account.js';

const RESET = ['password_reset'] as const;

export const RESET_REQUESTED_MESSAGE = 'If an account exists for this email, a password reset link has been sent';

/**
 * A10 (auth-api.md §8.3): the answer never depends on the address — same body, status and timing
 * for registered and unknown emails (ASVS 2.5.x; OWASP Forgot Password): the account lookup, the
 * token and the mail all happen after the answer.
 */
export async function requestPasswordReset(ctx: AppContext, input: { email: string; callbackUrl?: string }, meta: RequestMeta): Promise<{ message: string }> {
  await spendIpEmailBudget(ctx, meta);
  const { normalized } = parseEmail(input.email);
  const settings = await emailSettings(ctx);
  // OP-8: the app's page (allow-listed, never followed), else the configured reset page.
  const page = input.callbackUrl !== undefined ? assertAllowedRedirect(input.callbackUrl, ctx.config.allowedRedirectUrls, 'callbackUrl').toString() : settings.passwordResetUrl;
  await spendAddressEmailBudget(ctx, normalized);

  deliverInBackground(ctx, 'password_reset', async () => {
    const user = await findLiveUserByEmail(ctx.db, normalized);
    if (!user || user.banned_at !== null) return;
    const ttlMs = ctx.config.emailFlows.passwordResetTtl * 1000;
    const token = await issueEmailToken(ctx, { purpose: 'password_reset', email: user.email, emailNormalized: normalized, userId: user.id, ttlMs });
    const resetLink = appendQuery(page ?? `${ctx.config.publicUrl}/reset-password`, { token, email: user.email });
    await ctx.mailer.send(
      await composeEmail(ctx, {
        template: 'password_reset',
        to: user.email,
        userId: user.id,
        variables: { userName: user.name, userEmail: user.email, resetLink },
        expiresInMinutes: ttlMs / 60_000,
      }),
    );
  });
  return { message: RESET_REQUESTED_MESSAGE };
}

export interface ResetConfirmInput {
  email: string;
  token: string;
  newPassword: string;
}

/**
 * A11: email + token + new password. The token is claimed in the transaction that writes the new
 * hash, revokes every session (auth-api.md §4.3) and records the event, so two concurrent confirms
 * of one token cannot both succeed. Success also verifies the address and adds an `email` credential
 * to an account that had none (OP-38), and clears the temporary sign-in lock (§10). The first proof of
 * a never-verified address also drops linked identities and MFA set up before it (unproven-account.ts).
 */
export async function confirmPasswordReset(ctx: AppContext, input: ResetConfirmInput, meta: RequestMeta): Promise<{ message: string }> {
  const { normalized } = parseEmail(input.email);
  const now = ctx.clock.now();
  const found = await lookupEmailToken(ctx.db, input.token, RESET, now);
  // A token sent to another address is as unknown as a made-up one (no oracle for other accounts).
  if (found.state === 'unknown' || found.state === 'used' || found.row.email_normalized !== normalized) throw tokenNotFound();
  if (found.state === 'expired') throw new AppError('auth/verification-token-expired', 'This reset link has expired; request a new one');

  const user = found.row.user_id ? await findLiveUser(ctx.db, found.row.user_id) : undefined;
  if (!user || user.email_normalized !== normalized) throw new AppError('auth/account-not-found', 'No account exists for this email');
  assertIssuedSincePasswordChange(found.row, user);

  assertPasswordAcceptable(input.newPassword, (await emailSettings(ctx)).passwordPolicy);
  if (user.password_hash && (await ctx.passwords.verify(user.password_hash, input.newPassword))) {
    throw new AppError('auth/same-as-previous-password', 'The new password must differ from the current one');
  }
  const hash = await ctx.passwords.hash(input.newPassword);

  await ctx.db.transaction().execute(async (trx) => {
    const at = ctx.clock.now();
    if (!(await claimEmailToken(trx, found.row.token_hash, RESET, at))) throw tokenNotFound();
    // Read again in the transaction: a password change committed meanwhile still voids the link.
    const current = await findLiveUser(trx, user.id);
    if (!current || current.email_normalized !== normalized) throw tokenNotFound();
    assertIssuedSincePasswordChange(found.row, current);
    // Verifies the address (OP-38); its first proof drops what was set up before it (pre-hijacking);
    // the cache is cleared below after commit either way.
    await proveAddress(ctx, trx, { user: current, proof: 'password_reset', meta });
    await updateUser(trx, user.id, { password_hash: hash, password_changed_at: at, updated_at: at });
    const accounts = await findAccountsOfUsers(trx, [user.id]);
    if (!accounts.some((account) => account.provider === 'email')) {
      await insertAccount(trx, { id: uuidv7(at), user_id: user.id, provider: 'email', provider_account_id: normalized, email: user.email, created_at: at });
    }
    await endWhatTheOldPasswordOpened(ctx, trx, user.id, 'password_reset', at);
    await recordAudit(ctx, { event: 'password.reset', userId: user.id, actor: 'user', meta }, trx);
  });
  ctx.cache.forgetUser(user.id);
  // §10: "a successful password reset clears" the temporary account lock.
  await ctx.limiter.reset('signInPerEmail', normalized);
  return { message: 'Password has been reset; sign in with the new password' };
}

/**
 * A password change (A12, or an earlier reset) voids the reset links mailed before it (ASVS 2.5.x:
 * a link asked for a password since replaced is not to be used any more). Strictly before: sign-up
 * stamps `password_changed_at` too, and a link asked for in that same millisecond is for the current
 * password. The reset confirm stamps it as well, but its token is spent by then.
 */
function assertIssuedSincePasswordChange(token: { created_at: number }, user: { password_changed_at: number | null }): void {
  if (user.password_changed_at !== null && Number(token.created_at) < Number(user.password_changed_at)) throw tokenNotFound();
}

function tokenNotFound(): AppError {
  return new AppError('auth/verification-token-not-found', 'This reset link is invalid or was already used');
}
