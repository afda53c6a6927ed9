import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import { revokeAllSessions } from '../sessions/sessions.js';
import { countLiveAdmins, deleteAccountsOfUser, updateUser } from '../users/queries.js';

/**
 * A08 (and U05 for oneself): soft delete — sessions revoked, linked accounts removed, the password
 * hash dropped, the email freed at once (OP-27); the row is purged after the retention period.
 */
export async function withdrawUser(ctx: AppContext, user: UsersTable): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    // The last admin can never leave (decisions.md §3: A08 by the last admin → 403 auth/forbidden).
    if (user.role === 'admin' && (await countLiveAdmins(trx)) <= 1) {
      throw new AppError('auth/forbidden', 'The last admin cannot delete their account');
    }
    await revokeAllSessions(ctx, user.id, 'account_deleted', trx);
    await deleteAccountsOfUser(trx, user.id);
    await updateUser(trx, user.id, { deleted_at: now, updated_at: now, password_hash: null });
    await recordAudit(ctx, { event: 'user.deleted', userId: user.id, actor: 'user' }, trx);
  });
  ctx.cache.forgetUser(user.id);
}
