import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import type { UsersTable } from '../db/types.js';
import type { ErrorCode } from '../errors/codes.js';
import { deleteEmailTokensOfUser } from '../email-flows/queries.js';
import { revokeInvitationsSentBy } from '../invitations/queries.js';
import { deleteMfaOfUser } from '../mfa/queries.js';
import { revokeAllSessions } from '../sessions/sessions.js';
import { avatarStore } from './avatars/avatar-store.js';
import { deleteAvatarUploads, findAvatarUploadsOfUser } from './avatars/queries.js';
import { assertNotLastAdmin } from './last-admin.js';
import { clearSlug, deleteAccountsOfUser, updateUser } from './queries.js';

export interface DeleteOptions {
  /** `user` for self-deletion (U05 by oneself = A08), `admin:<id>` or `secret_key` otherwise. */
  actor: string;
  /** The refusal code for the last admin: `user/forbidden` on /v1/users, `auth/forbidden` on A08. */
  lastAdminCode?: ErrorCode;
}

/**
 * U05 (self or admin), with A08's semantics (auth-api.md §8.8, OP-26/OP-27), in one transaction:
 * the last admin is refused; every session is revoked (tokens die on the next request); linked
 * accounts, the password hash, the MFA secret and backup codes and the one-time email tokens are
 * removed; the row is soft-deleted so the email and the slug are free at once; pending invitations the
 * user sent are revoked; every avatar upload of the user (attached or not) is deleted. The row itself
 * is purged after 30 days (purge.ts).
 */
export async function deleteUserAccount(ctx: AppContext, user: UsersTable, options: DeleteOptions): Promise<void> {
  const now = ctx.clock.now();
  const avatarKeys = await ctx.db.transaction().execute(async (trx) => {
    await assertNotLastAdmin(ctx, trx, user, options.lastAdminCode);
    await revokeAllSessions(ctx, user.id, 'account_deleted', trx, options.actor);
    await deleteAccountsOfUser(trx, user.id);
    // A08 effects: the MFA secret, backup codes and open challenges go with the password.
    await deleteMfaOfUser(trx, user.id);
    await updateUser(trx, user.id, { deleted_at: now, updated_at: now, password_hash: null, image: null, mfa_enabled: 0 });
    await deleteEmailTokensOfUser(trx, user.id, user.email_normalized);
    await clearSlug(trx, user.id, now);
    await revokeInvitationsSentBy(trx, user.id, now);
    // Every upload of the user, attached or not: each is publicly served until its slot is gone.
    const keys = (await findAvatarUploadsOfUser(trx, user.id)).map((row) => row.key);
    await deleteAvatarUploads(trx, keys);
    await recordAudit(ctx, { event: 'user.deleted', userId: user.id, actor: options.actor }, trx);
    return keys;
  });
  ctx.cache.forgetUser(user.id);
  const store = avatarStore(ctx);
  for (const key of avatarKeys) {
    await store.delete(key).catch((error) => ctx.log.warn({ err: error, key }, 'could not delete avatar object'));
  }
}
