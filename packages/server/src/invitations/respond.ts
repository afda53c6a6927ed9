import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { safeEqual, sha256Hex } from '../crypto/digest.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import { findLiveUserByEmail } from '../users/queries.js';
import { grantMembership } from './memberships.js';
import { presentInvitation } from './present.js';
import { findInvitationById, findInvitationByTokenHash, settleInvitation, type InvitationRow } from './queries.js';

const TOKEN = /^[0-9a-fA-F]{64}$/;

function invalidToken(): AppError {
  return new AppError('auth/invalid-token', 'The invitation token is not valid');
}

/**
 * Find the invitation by token and check the email (auth-api.md A25/A26). A wrong email answers
 * exactly like an unknown token, so the token alone never tells who it was sent to.
 */
async function invitationForToken(ctx: AppContext, token: string, email: string | undefined): Promise<InvitationRow> {
  if (!TOKEN.test(token)) throw invalidToken();
  const invitation = await findInvitationByTokenHash(ctx.db, sha256Hex(token.toLowerCase()));
  if (!invitation) throw invalidToken();
  if (email !== undefined && !safeEqual(email.trim().toLowerCase(), invitation.email_normalized)) throw invalidToken();
  return invitation;
}

/** Only a pending, unexpired invitation can be answered (auth-api.md §3.2, §8.7). */
function assertAnswerable(invitation: InvitationRow, now: number): void {
  if (invitation.status === 'accepted') throw new AppError('auth/invitation-already-accepted', 'This invitation was already accepted');
  if (invitation.status !== 'pending') throw new AppError('auth/invitation-not-found', 'This invitation is no longer valid');
  if (invitation.expires_at <= now) throw new AppError('auth/invitation-expired', 'This invitation has expired');
}

/** The CAS lost to a concurrent answer: report what the other answer did. */
async function lostRace(ctx: AppContext, id: string): Promise<never> {
  const current = await findInvitationById(ctx.db, id);
  assertAnswerable(current ?? ({ status: 'revoked' } as InvitationRow), ctx.clock.now());
  throw new AppError('auth/invitation-not-found', 'This invitation is no longer valid');
}

/**
 * A25 (no JWT needed): single use. The membership goes to the account holding the invited email —
 * the signed-in caller when their email is the invited one (a JWT for another email is refused like a
 * wrong `email`), else the verified account with that address; with none yet, it is bound when one
 * appears (memberships.ts). Never to anyone else (OP-24).
 */
export async function acceptInvitation(ctx: AppContext, input: { token: string; email?: string }, signedIn: UsersTable | undefined) {
  const invitation = await invitationForToken(ctx, input.token, input.email);
  if (signedIn && signedIn.email_normalized !== invitation.email_normalized) throw invalidToken();
  const now = ctx.clock.now();
  assertAnswerable(invitation, now);
  const owner = signedIn ?? (await findLiveUserByEmail(ctx.db, invitation.email_normalized));
  const member = owner && (owner === signedIn || owner.email_verified_at !== null) ? owner : undefined;
  const won = await ctx.db.transaction().execute(async (trx) => {
    if (!(await settleInvitation(trx, invitation.id, 'accepted', now, member?.id ?? null))) return false;
    if (member) await grantMembership(trx, invitation, member.id, now);
    await recordAudit(ctx, { event: 'invitation.accepted', userId: member?.id ?? null, actor: signedIn ? 'user' : 'invitee', details: { invitationId: invitation.id, bound: member !== undefined } }, trx);
    return true;
  });
  if (!won) await lostRace(ctx, invitation.id);
  return presentInvitation((await findInvitationById(ctx.db, invitation.id))!, now);
}

/** A26: `email` is required and must be the invited one. */
export async function rejectInvitation(ctx: AppContext, input: { token: string; email: string }): Promise<void> {
  const invitation = await invitationForToken(ctx, input.token, input.email);
  const now = ctx.clock.now();
  assertAnswerable(invitation, now);
  const won = await ctx.db.transaction().execute(async (trx) => {
    if (!(await settleInvitation(trx, invitation.id, 'rejected', now))) return false;
    await recordAudit(ctx, { event: 'invitation.rejected', actor: 'invitee', details: { invitationId: invitation.id } }, trx);
    return true;
  });
  if (!won) await lostRace(ctx, invitation.id);
}
