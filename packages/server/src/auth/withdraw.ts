import type { AppContext } from '../context.js';
import type { UsersTable } from '../db/types.js';
import { deleteUserAccount } from '../users/delete-user.js';

/**
 * A08: the same soft delete as U05 for oneself — sessions revoked, linked accounts, password, slug,
 * avatar and sent invitations removed, the email freed at once (OP-27); the row is purged after the
 * retention period. The last admin cannot leave (decisions.md §3: 403 auth/forbidden).
 */
export async function withdrawUser(ctx: AppContext, user: UsersTable): Promise<void> {
  await deleteUserAccount(ctx, user, { actor: 'user', lastAdminCode: 'auth/forbidden' });
}
