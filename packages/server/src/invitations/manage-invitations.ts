import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { pagination } from '../http/schemas.js';
import type { InvitationsCaller } from './caller.js';
import { claimAcceptedInvitations } from './memberships.js';
import { presentInvitation } from './present.js';
import {
  countInvitations,
  findInvitationById,
  findMembership,
  isInvitationVisible,
  listInvitations,
  PRIVILEGED_ROLES,
  settleInvitation,
  type InvitationFilter,
} from './queries.js';

export interface ListInvitationsInput {
  resourceType?: 'user' | 'organization' | 'project';
  resourceId?: string;
  status?: InvitationFilter['status'];
  page: number;
  limit: number;
}

function visibility(caller: InvitationsCaller): InvitationFilter['visibleTo'] {
  // Non-admins see what they sent, what is addressed to them, and invitations to resources where
  // they are owner/admin (auth-api.md A23 [P], extended to co-managers of a resource). "Addressed to
  // them" needs the address verified, as membership does (claimAcceptedInvitations): an account that
  // registered someone else's address must not read that person's invitations (pre-hijacking).
  if (caller.admin || !caller.user) return undefined;
  const { user } = caller;
  return { userId: user.id, emailNormalized: user.email_verified_at === null ? null : user.email_normalized };
}

/** A23: newest first; `resourceType=user` = addressed to the caller's email. */
export async function listInvitationsFor(ctx: AppContext, caller: InvitationsCaller, input: ListInvitationsInput) {
  if (caller.user) await claimAcceptedInvitations(ctx, caller.user);
  const now = ctx.clock.now();
  const filter: InvitationFilter = { visibleTo: visibility(caller), resourceId: input.resourceId, status: input.status, now };
  if (input.resourceType === 'user') {
    if (!caller.user) {
      throw new AppError('auth/validation-error', 'resourceType=user lists the signed-in user\'s invitations and needs a JWT', {
        fields: [{ field: 'resourceType', message: 'needs a signed-in user' }],
      });
    }
    filter.addressedTo = caller.user.email_normalized;
  } else if (input.resourceType !== undefined) {
    filter.resourceType = input.resourceType;
  }
  const offset = (input.page - 1) * input.limit;
  const [rows, total] = await Promise.all([listInvitations(ctx.db, filter, input.limit, offset), countInvitations(ctx.db, filter)]);
  return { items: rows.map((row) => presentInvitation(row, now)), pagination: pagination(input.page, input.limit, total) };
}

/** An invitation the caller may see, else 404 — existence is not revealed (A24 [P]). */
async function visibleInvitation(ctx: AppContext, caller: InvitationsCaller, id: string) {
  const now = ctx.clock.now();
  const row = await findInvitationById(ctx.db, id);
  const visibleTo = visibility(caller);
  if (!row || (visibleTo && !(await isInvitationVisible(ctx.db, id, { visibleTo, now })))) {
    throw new AppError('auth/invitation-not-found', 'No such invitation');
  }
  return row;
}

export async function getInvitation(ctx: AppContext, caller: InvitationsCaller, id: string) {
  return presentInvitation(await visibleInvitation(ctx, caller, id), ctx.clock.now());
}

/**
 * A27: the inviter, an owner/admin of the resource, or an app admin may revoke; the invitee may see
 * the invitation but not revoke it (403). Accepted → 400; rejected or already revoked → 404.
 */
export async function revokeInvitation(ctx: AppContext, caller: InvitationsCaller, id: string): Promise<void> {
  const row = await visibleInvitation(ctx, caller, id);
  if (!caller.admin) {
    const user = caller.user!;
    const membership = row.invited_by === user.id ? undefined : await findMembership(ctx.db, user.id, row.resource_type, row.resource_id);
    if (row.invited_by !== user.id && !(membership && PRIVILEGED_ROLES.includes(membership.role))) {
      throw new AppError('auth/forbidden', 'Only the inviter or a manager of the resource may revoke this invitation');
    }
  }
  if (row.status === 'accepted') throw new AppError('auth/invitation-already-accepted', 'This invitation was already accepted');
  if (row.status !== 'pending') throw new AppError('auth/invitation-not-found', 'No such invitation');
  const now = ctx.clock.now();
  if (!(await settleInvitation(ctx.db, id, 'revoked', now))) throw new AppError('auth/invitation-not-found', 'No such invitation');
  await recordAudit(ctx, { event: 'invitation.revoked', userId: caller.user?.id ?? null, actor: caller.user ? 'user' : 'secret_key', details: { invitationId: id } });
}
