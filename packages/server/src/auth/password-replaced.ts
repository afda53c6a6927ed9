import type { AppContext } from '../context.js';
import type { Db } from '../db/transaction.js';
import { voidEmailChangeTokens } from '../email-flows/queries.js';
import { deleteChallengesOfUser } from '../mfa/queries.js';
import { revokeAllSessions } from '../sessions/sessions.js';

/**
 * A new password (A12 change, A11 reset) ends, in the caller's transaction, everything the old one could
 * have opened: every session and MCP grant (revokeAllSessions), sign-ins waiting for their second factor
 * (an `mfaToken` won with the old password), and a pending address change, which a stolen session could
 * have started. The caller forgets the user's cache after commit.
 */
export async function endWhatTheOldPasswordOpened(ctx: AppContext, trx: Db, userId: string, reason: 'password_changed' | 'password_reset', at: number): Promise<void> {
  await revokeAllSessions(ctx, userId, reason, trx, 'user');
  await deleteChallengesOfUser(trx, userId);
  await voidEmailChangeTokens(trx, userId, at);
}
