import { recordAudit } from '../audit/record.js';
import { newUserRow } from '../users/new-user-row.js';
import type { AppContext } from '../context.js';
import { uuidv7 } from '../crypto/random.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { insertNewSession, tokenPair, type TokenPair } from '../sessions/sessions.js';
import { findLiveUserByEmail, insertAccount, insertUser, type UserRow } from '../users/queries.js';
import { assertSignupCallbackUrl, sendSignupConfirmation } from '../email-flows/email-verification.js';
import { parseEmail } from './email-address.js';
import { emailSettings } from './email-settings.js';
import { assertPasswordAcceptable } from './password-policy.js';
import { parseName } from './user-name.js';

export interface PasswordSignUpInput {
  email: string;
  password: string;
  name: string;
  /** Where the confirmation link (A32) returns; allow-listed. */
  callbackUrl?: string;
}

export interface VerificationPending {
  message: string;
  email: string;
}

/**
 * A01 method "password": user + `email` account + session in one transaction, tokens at once, and the
 * `signup_confirmation` email (OP-9). With `requireEmailVerification` (OP-10): 201 `{ message, email }`,
 * no session until the address is confirmed.
 */
export async function signUpWithPassword(ctx: AppContext, input: PasswordSignUpInput, meta: RequestMeta): Promise<TokenPair | VerificationPending> {
  const { email, normalized } = parseEmail(input.email);
  const name = parseName(input.name);
  const settings = await emailSettings(ctx);
  assertPasswordAcceptable(input.password, settings.passwordPolicy);
  const callbackUrl = assertSignupCallbackUrl(ctx, input.callbackUrl);
  // The documented 409 reveals registration (auth-api.md OP-44, kept for compatibility; rate-limited above).
  if (await findLiveUserByEmail(ctx.db, normalized)) throw emailTaken();

  const passwordHash = await ctx.passwords.hash(input.password);
  const now = ctx.clock.now();
  const user: UserRow = newUserRow(now, { email, normalized, name, passwordHash, signedIn: true });
  try {
    // The user, the identity, the session and the audit event commit together.
    const session = await ctx.db.transaction().execute(async (trx) => {
      await insertUser(trx, user);
      await insertAccount(trx, { id: uuidv7(now), user_id: user.id, provider: 'email', provider_account_id: normalized, email, created_at: now });
      const opened = settings.requireEmailVerification ? null : await insertNewSession(ctx, trx, user.id, meta);
      await recordAudit(ctx, { event: 'user.signed_up', userId: user.id, sessionId: opened?.sessionId ?? null, actor: 'user', meta, details: { method: 'password' } }, trx);
      return opened;
    });
    await sendSignupConfirmation(ctx, user, callbackUrl);
    if (!session) return { message: 'Account created; confirm your email address to sign in', email };
    return tokenPair(ctx, user, session);
  } catch (error) {
    // Two sign-ups racing for one address: the partial unique index decides, the loser gets the 409.
    if (isUniqueViolation(error)) throw emailTaken();
    throw error;
  }
}

function emailTaken(): AppError {
  return new AppError('auth/email-already-exists', 'An account with this email already exists');
}
