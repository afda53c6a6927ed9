import type { Db } from '../../db/transaction.js';
import type { AvatarUploadsTable } from '../tables.js';

export type AvatarUploadRow = AvatarUploadsTable;

export function insertAvatarUpload(db: Db, row: AvatarUploadRow) {
  return db.insertInto('avatar_uploads').values(row).execute();
}

export function findAvatarUpload(db: Db, key: string) {
  return db.selectFrom('avatar_uploads').selectAll().where('key', '=', key).executeTakeFirst();
}

/** Claim a slot for one upload at a time: a second PUT with the same URL finds nothing to claim. */
export async function claimAvatarUpload(db: Db, key: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('avatar_uploads')
    .set({ uploaded_at: now })
    .where('key', '=', key)
    .where('uploaded_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Give the slot back after a failed upload (too large, not an image, aborted) so the URL can be retried. */
export function releaseAvatarUpload(db: Db, key: string) {
  return db.updateTable('avatar_uploads').set({ uploaded_at: null }).where('key', '=', key).where('content_type', 'is', null).execute();
}

export function completeAvatarUpload(db: Db, key: string, contentType: string, size: number) {
  return db.updateTable('avatar_uploads').set({ content_type: contentType, size }).where('key', '=', key).execute();
}

export function findAttachedAvatars(db: Db, userId: string) {
  return db.selectFrom('avatar_uploads').select('key').where('user_id', '=', userId).where('attached_at', 'is not', null).execute();
}

/** Every slot issued to the user, attached or not (U11 and account deletion remove them all). */
export function findAvatarUploadsOfUser(db: Db, userId: string) {
  return db.selectFrom('avatar_uploads').select('key').where('user_id', '=', userId).execute();
}

/** The user's slots not attached (yet): how many, and when the oldest expires (walks avatar_uploads_user). */
export function pendingAvatarUploads(db: Db, userId: string) {
  return db
    .selectFrom('avatar_uploads')
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('expires_at').as('oldest')])
    .where('user_id', '=', userId)
    .where('attached_at', 'is', null)
    .executeTakeFirstOrThrow();
}

export function attachAvatarUpload(db: Db, key: string, now: number) {
  return db.updateTable('avatar_uploads').set({ attached_at: now }).where('key', '=', key).execute();
}

export function deleteAvatarUploads(db: Db, keys: string[]) {
  if (keys.length === 0) return Promise.resolve();
  return db.deleteFrom('avatar_uploads').where('key', 'in', keys).execute().then(() => undefined);
}

/** Slots never attached, a day past their expiry: the maintenance job removes them and their files. */
export function findAbandonedAvatarUploads(db: Db, expiredBefore: number, limit: number) {
  return db
    .selectFrom('avatar_uploads')
    .select(['key', 'uploaded_at'])
    .where('attached_at', 'is', null)
    .where('expires_at', '<', expiredBefore)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
}
