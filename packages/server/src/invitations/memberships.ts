import type { AppContext } from '../context.js';
import { uuidv7 } from '../crypto/random.js';
import type { Db } from '../db/transaction.js';
import type { UsersTable } from '../db/types.js';
import { bindInvitation, findMembership, findUnboundAcceptedInvitations, upsertMembership, type InvitationRow } from './queries.js';

/** Grant the invitation's role on its resource to `userId` (inside the accepting transaction). */
export function grantMembership(db: Db, invitation: InvitationRow, userId: string, now: number) {
  return upsertMembership(db, {
    id: uuidv7(now),
    user_id: userId,
    resource_type: invitation.resource_type,
    resource_id: invitation.resource_id,
    role: invitation.resource_role,
    invitation_id: invitation.id,
    created_at: now,
    updated_at: now,
  });
}

/**
 * "Accept binds the membership to the invited email, now or at that email's sign-up" (OP-24):
 * an invitation accepted while no verified account had its address is bound to the first account
 * that holds the address *verified*. Binding an unverified account would hand the membership to
 * whoever registered the address first without owning it. Runs lazily before membership reads, so
 * sign-up and verification need no hook.
 */
export async function claimAcceptedInvitations(ctx: AppContext, user: UsersTable): Promise<number> {
  if (user.email_verified_at === null || user.deleted_at !== null) return 0;
  const waiting = await findUnboundAcceptedInvitations(ctx.db, user.email_normalized);
  let bound = 0;
  for (const invitation of waiting) {
    await ctx.db.transaction().execute(async (trx) => {
      const now = ctx.clock.now();
      if (!(await bindInvitation(trx, invitation.id, user.id, now))) return;
      await grantMembership(trx, invitation, user.id, now);
      bound += 1;
    });
  }
  return bound;
}

export async function membershipOn(ctx: AppContext, user: UsersTable, resourceType: string, resourceId: string) {
  await claimAcceptedInvitations(ctx, user);
  return findMembership(ctx.db, user.id, resourceType, resourceId);
}
