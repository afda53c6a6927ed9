import { recordAudit } from '../audit/record.js';
import { parseEmail } from '../auth/email-address.js';
import type { AppContext } from '../context.js';
import { sha256Hex } from '../crypto/digest.js';
import { randomHex, uuidv7 } from '../crypto/random.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import { AppError } from '../errors/app-error.js';
import { assertAllowedRedirect } from '../oauth/redirect-allow-list.js';
import type { InvitationsCaller } from './caller.js';
import { invitationEmail } from './invitation-email.js';
import { membershipOn } from './memberships.js';
import { presentInvitation } from './present.js';
import { insertInvitation, revokePendingInvitation, settleInvitation, type InvitationRow } from './queries.js';

/** auth-api.md §8.7: invitations live 7 days. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface CreateInvitationInput {
  resourceType: 'organization' | 'project';
  resourceId: string;
  resourceName?: string;
  email: string;
  name?: string;
  resourceRole: string;
  inviterName?: string;
  callbackUrl?: string;
}

/**
 * Who may invite (OP-24, decisions.md §5): the secret key and app admins to any resource; otherwise
 * a member whose role there is `owner` (any role) or `admin` (any role but `owner`, so an admin
 * cannot mint owners). Everyone else → 403 auth/forbidden.
 */
async function assertMayInvite(ctx: AppContext, caller: InvitationsCaller, input: CreateInvitationInput): Promise<void> {
  if (caller.admin) return;
  const membership = caller.user ? await membershipOn(ctx, caller.user, input.resourceType, input.resourceId) : undefined;
  if (membership?.role === 'owner') return;
  if (membership?.role === 'admin' && input.resourceRole !== 'owner') return;
  throw new AppError('auth/forbidden', 'Only an owner or admin of this resource may invite to it');
}

/**
 * A22: a 64-hex token (32 random bytes) mailed once and stored only as SHA-256; a pending invitation
 * for the same resource and email is revoked by the new one, in the same transaction.
 */
export async function createInvitation(ctx: AppContext, caller: InvitationsCaller, input: CreateInvitationInput) {
  const { email, normalized } = parseEmail(input.email);
  const callbackUrl = input.callbackUrl === undefined ? undefined : assertAllowedRedirect(input.callbackUrl, ctx.config.allowedRedirectUrls, 'callbackUrl');
  await assertMayInvite(ctx, caller, input);
  // Each invitation sends an email: bounded per signed-in inviter (the secret key is the operator).
  if (caller.user) await ctx.limiter.consume('invitationsPerInviter', caller.user.id);

  const token = randomHex(32);
  const now = ctx.clock.now();
  const row: InvitationRow = {
    id: uuidv7(now),
    resource_type: input.resourceType,
    resource_id: input.resourceId,
    resource_name: input.resourceName ?? null,
    resource_role: input.resourceRole,
    email,
    email_normalized: normalized,
    name: input.name ?? null,
    inviter_name: input.inviterName ?? caller.user?.name ?? null,
    invited_by: caller.user?.id ?? null,
    token_hash: sha256Hex(token),
    status: 'pending',
    callback_url: callbackUrl?.toString() ?? null,
    expires_at: now + INVITATION_TTL_MS,
    responded_at: null,
    accepted_user_id: null,
    created_at: now,
    updated_at: now,
  };
  // Two re-invites racing for one (resource, email): the partial unique index makes one fail; retry it once.
  for (let attempt = 0; ; attempt++) {
    try {
      await ctx.db.transaction().execute(async (trx) => {
        await revokePendingInvitation(trx, row.resource_type, row.resource_id, row.email_normalized, now);
        await insertInvitation(trx, row);
        await recordAudit(ctx, { event: 'invitation.created', userId: caller.user?.id ?? null, actor: caller.user ? 'user' : 'secret_key', details: { invitationId: row.id, resourceType: row.resource_type, resourceId: row.resource_id, role: row.resource_role } }, trx);
      });
      break;
    } catch (error) {
      if (!isUniqueViolation(error) || attempt > 0) throw error;
    }
  }

  const link = new URL(row.callback_url ?? ctx.config.publicUrl);
  link.searchParams.set('token', token);
  link.searchParams.set('email', email);
  try {
    await ctx.mailer.send(
      invitationEmail({
        to: email,
        inviteeName: row.name,
        inviterName: row.inviter_name,
        resourceName: row.resource_name,
        resourceType: row.resource_type,
        resourceRole: row.resource_role,
        inviteLink: link.toString(),
        expiresInMinutes: INVITATION_TTL_MS / 60_000,
      }),
    );
  } catch (error) {
    // Nobody holds the token of an unsent invitation: revoke it rather than leave it pending.
    await settleInvitation(ctx.db, row.id, 'revoked', ctx.clock.now());
    throw new AppError('common/internal-error', 'The invitation email could not be sent', undefined, { cause: error });
  }
  return presentInvitation(row, now);
}
