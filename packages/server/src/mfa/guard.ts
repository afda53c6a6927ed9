import type { AppContext } from '../context.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';

export type SignInFlow = 'password' | 'magiclink' | 'oauth';

/**
 * The one MFA gate every sign-in path passes (auth-api.md OP-13, decisions.md §5), called after the
 * first factor succeeded and before a session is created. Contract for the MFA capability:
 * - MFA off → returns.
 * - MFA on and `mfaCode` given → verifies TOTP or a backup code (401 auth/invalid-mfa-code,
 *   rate-limited), returns on success.
 * - MFA on and no code → 403 auth/mfa-required with `details.mfaToken` (5 min, single use), which the
 *   client redeems at A04 with `{ mfaToken, mfaCode }`; `pending` says what to finish then.
 */
export async function requireSecondFactor(
  _ctx: AppContext,
  user: UsersTable,
  _input: { flow: SignInFlow; mfaCode?: string; pending?: Record<string, unknown> },
): Promise<void> {
  if (!user.mfa_enabled) return;
  // Fail closed until TOTP verification lands: an MFA-enabled account never signs in on one factor.
  throw new AppError('auth/mfa-required', 'A second factor is required');
}
