import type { AppContext } from '../context.js';
import type { UsersTable } from '../db/types.js';
import type { RequestMeta } from '../http/request-meta.js';
import { issueMfaChallenge } from './challenge.js';
import { verifySecondFactor } from './verify.js';

export type SignInFlow = 'password' | 'magiclink' | 'oauth';

/**
 * The one MFA gate every sign-in path passes (auth-api.md OP-13, decisions.md §5), called after the
 * first factor succeeded and before a session is created:
 * - MFA off → returns.
 * - MFA on and `mfaCode` given → verifies TOTP or a backup code (401 auth/invalid-mfa-code, 429 after
 *   5 failures in 5 minutes), returns on success.
 * - MFA on and no code → 403 auth/mfa-required with `details.mfaToken` (5 min, single use), which the
 *   client redeems at A04 with `{ mfaToken, mfaCode }`; `pending` says what to finish then (for a magic
 *   link: `{ magicTokenHash }`, the token is not consumed before the second factor passed).
 */
export async function requireSecondFactor(
  ctx: AppContext,
  user: UsersTable,
  input: { flow: SignInFlow; mfaCode?: string; pending?: Record<string, unknown>; meta?: RequestMeta },
): Promise<void> {
  if (!user.mfa_enabled) return;
  if (input.mfaCode !== undefined && input.mfaCode.trim() !== '') {
    await verifySecondFactor(ctx, user.id, input.mfaCode, input.meta);
    return;
  }
  throw await issueMfaChallenge(ctx, user.id, input.flow, input.pending ?? {});
}
