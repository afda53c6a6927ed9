import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/transaction.js';
import type { UsersTable } from '../db/types.js';
import type { RequestMeta } from '../http/request-meta.js';
import { deleteMfaOfUser, findTotp } from '../mfa/queries.js';
import { revokeAllSessions } from '../sessions/sessions.js';
import { updateUser } from '../users/queries.js';
import { deleteLinkedIdentities, markEmailProven } from './queries.js';

/**
 * Account pre-hijacking (Sudhodanan & Paverd, "Pre-hijacked Accounts", USENIX Security 2022): anyone can
 * sign up with an address they do not own and, while it is unverified, set the account up (a password,
 * open sessions, a linked Google/GitHub identity, an MFA authenticator) before the owner arrives. When
 * the owner later takes the account over by proving the inbox, whatever the squatter set up would keep
 * opening it. So the first proof of a never-verified address by a flow that hands its holder the account
 * (A11 reset confirm, A04 magic-link exchange) drops everything set up before it, in the proof's own
 * transaction (email-flows/DECISIONS.md, "Unproven accounts").
 *
 * - both: every linked social identity (the `email` credential row stays) and MFA (authenticator,
 *   pending set-up, backup codes, open challenges);
 * - magic link: also every session and the password (the owner sets one through A10/A11);
 * - reset: its own effects already replace the password and revoke every session (§4.3).
 *
 * Exception: a magic link to an account with MFA on. Its holder had to pass that second factor before
 * the token was consumed (OP-13), so they are the person who set the account up: nothing is dropped.
 */
export type AddressProof = 'magic_link' | 'password_reset';

export interface ProveAddressInput {
  user: Pick<UsersTable, 'id' | 'mfa_enabled' | 'password_hash'>;
  proof: AddressProof;
  /**
   * Magic link only: whether the holder passed the account's second factor before the token was
   * consumed. Passed explicitly by the A04 exchange, so MFA switched on by the squatter between that
   * check and this transaction does not count as passed.
   */
  secondFactorPassed?: boolean;
  meta?: RequestMeta;
}

/**
 * Mark the address verified inside the caller's transaction. Returns true when this was the first proof
 * and something was dropped: the caller clears the user's auth cache after commit.
 */
export async function proveAddress(ctx: AppContext, trx: Db, input: ProveAddressInput): Promise<boolean> {
  const at = ctx.clock.now();
  // One conditional UPDATE: of two concurrent proofs exactly one is the first (and drops).
  if (!(await markEmailProven(trx, input.user.id, at))) return false;
  if (input.proof === 'magic_link' && input.user.mfa_enabled && input.secondFactorPassed) return false;
  return dropUnprovenSetup(ctx, trx, input, at);
}

async function dropUnprovenSetup(ctx: AppContext, trx: Db, input: ProveAddressInput, at: number): Promise<boolean> {
  const userId = input.user.id;
  const linkedAccounts = await deleteLinkedIdentities(trx, userId);
  const mfa = Boolean(input.user.mfa_enabled) || (await findTotp(trx, userId)) !== undefined;
  if (mfa) {
    await deleteMfaOfUser(trx, userId);
    await updateUser(trx, userId, { mfa_enabled: 0, updated_at: at });
  }
  const details: Record<string, unknown> = { proof: input.proof, linkedAccounts, mfa };
  let dropped = linkedAccounts.length > 0 || mfa;
  if (input.proof === 'magic_link') {
    const password = input.user.password_hash !== null;
    if (password) await updateUser(trx, userId, { password_hash: null, password_changed_at: null, updated_at: at });
    const sessions = await revokeAllSessions(ctx, userId, 'unproven_setup_dropped', trx, 'user');
    Object.assign(details, { password, sessions });
    dropped ||= password || sessions > 0;
  }
  if (dropped) await recordAudit(ctx, { event: 'account.unproven_setup_dropped', userId, actor: 'user', meta: input.meta, details }, trx);
  return dropped;
}
