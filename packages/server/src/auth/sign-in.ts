import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { openSignedInSession } from '../sessions/open-session.js';
import { tokenPair, type TokenPair } from '../sessions/sessions.js';
import { findSignInUser } from '../users/queries.js';
import { requireSecondFactor } from '../mfa/guard.js';
import { parseEmail } from './email-address.js';
import { EMAIL_SETTINGS_KEY, emailSettingsFrom } from './email-settings.js';

export interface PasswordSignInInput {
  email: string;
  password: string;
  mfaCode?: string;
}

/**
 * A02 method "password", in the check order of auth-api.md A02: rate limit → credentials (a dummy hash
 * for unknown emails) → banned → email verification → password expiry. Outcomes other than
 * "invalid credentials" are only revealed to a caller who supplied the right password.
 */
export async function signInWithPassword(ctx: AppContext, input: PasswordSignInInput, meta: RequestMeta): Promise<TokenPair> {
  const ip = meta.ip ?? 'unknown';
  // Budgets are spent before the password is judged (Limiters.consume): a burst cannot outrun them.
  await ctx.limiter.consume('signInPerIp', ip, 'auth/too-many-login-attempts');
  const { normalized } = parseEmail(input.email);
  const emailAttempts = await ctx.limiter.consume('signInPerEmail', normalized, 'auth/account-locked');

  // The email provider's settings come with the user (one query); they are only used past the password.
  const found = await findSignInUser(ctx.db, ctx.dialect, normalized, EMAIL_SETTINGS_KEY);
  const stored = found?.user.password_hash;
  const ok = stored ? await ctx.passwords.verify(stored, input.password) : await ctx.passwords.verifyDummy(input.password);
  if (!found || !ok) {
    await recordAudit(ctx, { event: 'user.sign_in_failed', outcome: 'failure', userId: found?.user.id ?? null, actor: 'user', meta, details: { method: 'password', reason: 'invalid_credentials' } });
    throw new AppError('auth/invalid-credentials', 'Email or password is incorrect');
  }
  const { user } = found;
  await forgiveSignInAttempt(ctx, ip, normalized, emailAttempts);

  if (user.banned_at !== null) throw new AppError('auth/account-banned', 'This account is suspended');
  const settings = emailSettingsFrom(found.settings);
  if (settings.requireEmailVerification && user.email_verified_at === null) {
    throw new AppError('auth/email-not-verified', 'Verify your email address before signing in');
  }
  const days = settings.passwordPolicy.expirationDays;
  if (days && user.password_changed_at !== null && ctx.clock.now() - user.password_changed_at > days * 86_400_000) {
    throw new AppError('auth/password-expired', 'Your password has expired; reset it to sign in');
  }

  await requireSecondFactor(ctx, user, { flow: 'password', mfaCode: input.mfaCode });

  // Parameters changed since this hash was made: upgrade it now that we hold the plaintext.
  const rehashedPassword = ctx.passwords.needsRehash(stored!) ? await ctx.passwords.hash(input.password) : undefined;
  const session = await openSignedInSession(ctx, user.id, meta, { rehashedPassword, audit: { event: 'user.signed_in', actor: 'user', details: { method: 'password' } } });
  return tokenPair(ctx, user, session);
}

/**
 * A right password was no failure: the points its attempt spent come back, and it forgives the address's
 * earlier failures (`emailAttempts`, what the per-email `consume` answered, counts them). A02 and the MCP
 * consent sign-in.
 */
export async function forgiveSignInAttempt(ctx: AppContext, ip: string, normalized: string, emailAttempts: number): Promise<void> {
  await Promise.all([
    ctx.limiter.refund('signInPerIp', ip),
    emailAttempts > 1 ? ctx.limiter.reset('signInPerEmail', normalized) : ctx.limiter.refund('signInPerEmail', normalized),
  ]);
}
