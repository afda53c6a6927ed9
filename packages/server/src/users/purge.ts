import type { AppContext } from '../context.js';
import { avatarStore } from './avatars/avatar-store.js';
import { removeAbandonedUploads } from './avatars/avatars.js';
import { deleteUserRow, findUsersDeletedBefore } from './queries.js';

/** auth-api.md §8.8 / OP-27: soft-deleted users are kept 30 days, then purged with their auth data. */
export const USER_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
const BATCH = 200;

/**
 * Delete users soft-deleted more than 30 days ago. Their sessions, accounts, profile, memberships and
 * upload slots go with the row (ON DELETE CASCADE); their avatar folder is removed from storage.
 */
export async function purgeDeletedUsers(ctx: AppContext): Promise<number> {
  let purged = 0;
  for (;;) {
    const rows = await findUsersDeletedBefore(ctx.db, ctx.clock.now() - USER_RETENTION_MS, BATCH);
    for (const { id } of rows) {
      try {
        await avatarStore(ctx).deletePrefix(`avatars/${id}`);
        const result = await deleteUserRow(ctx.db, id);
        purged += Number(result.numDeletedRows);
      } catch (error) {
        // A row another table still references without a cascade is reported, not retried forever.
        ctx.log.error({ err: error, userId: id }, 'could not purge deleted user');
        return purged;
      }
    }
    if (rows.length < BATCH) return purged;
  }
}

/** One maintenance pass: the 30-day purge and abandoned avatar uploads. */
export async function runUserMaintenance(ctx: AppContext): Promise<{ purgedUsers: number; removedUploads: number }> {
  const purgedUsers = await purgeDeletedUsers(ctx);
  const removedUploads = await removeAbandonedUploads(ctx);
  return { purgedUsers, removedUploads };
}
