import { AUDIT_INSERT, auditRow } from '../audit/record.js';
import { newUserRow } from '../users/new-user-row.js';
import type { AppContext } from '../context.js';
import { uuidv7 } from '../crypto/random.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import { HotBatch } from '../db/hot-query.js';
import type { AccountsTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { SESSION_INSERT } from '../sessions/queries.js';
import { newSessionRow, tokenPair, type TokenPair } from '../sessions/sessions.js';
import { ACCOUNT_INSERT, checkSignUp, USER_INSERT, type UserRow } from '../users/queries.js';
import { assertSignupCallbackUrl, sendSignupConfirmation } from '../email-flows/email-verification.js';
import { parseEmail } from './email-address.js';
import { EMAIL_SETTINGS_KEY, emailSettingsFrom } from './email-settings.js';
import { assertPasswordAcceptable } from './password-policy.js';
import { parseName } from './user-name.js';

// A sign-up's whole write, one commit (one statement on PostgreSQL), as sign-in's (sessions/open-session.ts):
// the user, its `email` identity, the session unless the address must be confirmed first, the audit event.
const signUpWrites = new HotBatch([USER_INSERT.sql, ACCOUNT_INSERT.sql, SESSION_INSERT.sql, AUDIT_INSERT.sql]);
const signUpWritesWithoutSession = new HotBatch([USER_INSERT.sql, ACCOUNT_INSERT.sql, AUDIT_INSERT.sql]);

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
  const check = await checkSignUp(ctx.db, ctx.dialect, normalized, EMAIL_SETTINGS_KEY);
  const settings = emailSettingsFrom(check.settings);
  assertPasswordAcceptable(input.password, settings.passwordPolicy);
  const callbackUrl = assertSignupCallbackUrl(ctx, input.callbackUrl);
  // The documented 409 reveals registration (auth-api.md OP-44, kept for compatibility; rate-limited above).
  if (check.taken) throw emailTaken();

  const passwordHash = await ctx.passwords.hash(input.password);
  const now = ctx.clock.now();
  const user: UserRow = newUserRow(now, { email, normalized, name, passwordHash, signedIn: true });
  const account: AccountsTable = { id: uuidv7(now), user_id: user.id, provider: 'email', provider_account_id: normalized, email, created_at: now };
  const opened = settings.requireEmailVerification ? null : newSessionRow(ctx, user.id, meta);
  const audit = auditRow(ctx, { event: 'user.signed_up', userId: user.id, sessionId: opened?.row.id ?? null, actor: 'user', meta, details: { method: 'password' } });
  try {
    if (opened) {
      await signUpWrites.run(ctx.db, ctx.dialect, [USER_INSERT.values(user), ACCOUNT_INSERT.values(account), SESSION_INSERT.values(opened.row), AUDIT_INSERT.values(audit)]);
    } else {
      await signUpWritesWithoutSession.run(ctx.db, ctx.dialect, [USER_INSERT.values(user), ACCOUNT_INSERT.values(account), AUDIT_INSERT.values(audit)]);
    }
  } catch (error) {
    // Two sign-ups racing for one address: the partial unique index decides, the loser gets the 409.
    if (isUniqueViolation(error)) throw emailTaken();
    throw error;
  }
  await sendSignupConfirmation(ctx, user, callbackUrl);
  if (!opened) return { message: 'Account created; confirm your email address to sign in', email };
  return tokenPair(ctx, user, { sessionId: opened.row.id, refreshToken: opened.refreshToken });
}

function emailTaken(): AppError {
  return new AppError('auth/email-already-exists', 'An account with this email already exists');
}
