import type { Readable } from 'node:stream';
import type { AppContext } from '../../context.js';
import { randomToken } from '../../crypto/random.js';
import { AppError } from '../../errors/app-error.js';
import { findUserById, updateUser } from '../queries.js';
import { avatarStore } from './avatar-store.js';
import { AVATAR_TYPES, isAvatarType, sniffImageType } from './image-type.js';
import { isObjectKey, ObjectTooLargeError } from './object-store.js';
import {
  attachAvatarUpload,
  claimAvatarUpload,
  completeAvatarUpload,
  deleteAvatarUploads,
  findAbandonedAvatarUploads,
  findAttachedAvatars,
  findAvatarUpload,
  findAvatarUploadsOfUser,
  insertAvatarUpload,
  pendingAvatarUploads,
  releaseAvatarUpload,
} from './queries.js';
import { signUpload } from './upload-signature.js';

/** auth-api.md OP-31 / decisions.md §6: 15-minute upload URLs, 5 MiB objects. */
export const UPLOAD_URL_TTL_MS = 15 * 60 * 1000;
export const MAX_AVATAR_BYTES = 5 * 1024 * 1024;
// Slots nobody attached are removed a day after their URL expired.
const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;
/**
 * Slots of one user not attached yet. Each may hold 5 MiB on disk until it is attached or removed a day
 * past its expiry, so without a bound one account could fill the disk with upload URLs.
 */
export const MAX_PENDING_UPLOADS = 20;

export interface UploadUrl {
  url: string;
  uploadUrl: string;
  key: string;
  expiresAt: string;
}

export function publicObjectUrl(ctx: Pick<AppContext, 'config'>, key: string): string {
  return `${ctx.config.publicUrl}/uploads/${key}`;
}

/**
 * U09: a signed, expiring PUT target for one new object of this user. The key is made here from
 * random bytes and the declared type; `filename` never reaches it (no traversal, no overwrite).
 */
export async function issueUploadUrl(ctx: AppContext, userId: string, input: { filename: string; contentType: string }): Promise<UploadUrl> {
  const declared = input.contentType.trim().toLowerCase();
  if (!isAvatarType(declared)) {
    throw invalid('contentType', `must be one of ${Object.keys(AVATAR_TYPES).join(', ')}`);
  }
  if (input.filename.trim().length === 0) throw invalid('filename', 'must not be empty');
  const now = ctx.clock.now();
  const pending = await pendingAvatarUploads(ctx.db, userId);
  if (Number(pending.count) >= MAX_PENDING_UPLOADS) {
    // The oldest unused slot is removed a day past its expiry (removeAbandonedUploads).
    const retryAfter = Math.max(1, Math.ceil((Number(pending.oldest) + ABANDONED_AFTER_MS - now) / 1000));
    throw new AppError('auth/too-many-requests', `At most ${MAX_PENDING_UPLOADS} avatar uploads may wait to be attached; attach one or retry in ${retryAfter} s`, { retryAfter }, {
      headers: { 'retry-after': String(retryAfter) },
    });
  }
  const key = `avatars/${userId}/${randomToken(16)}.${AVATAR_TYPES[declared]}`;
  const expiresAtSeconds = Math.floor((now + UPLOAD_URL_TTL_MS) / 1000);
  await insertAvatarUpload(ctx.db, {
    key,
    user_id: userId,
    declared_type: declared,
    content_type: null,
    size: null,
    expires_at: expiresAtSeconds * 1000,
    uploaded_at: null,
    attached_at: null,
    created_at: now,
  });
  const url = `${publicObjectUrl(ctx, key)}?exp=${expiresAtSeconds}&sig=${signUpload(ctx, key, expiresAtSeconds)}`;
  return { url, uploadUrl: url, key, expiresAt: new Date(expiresAtSeconds * 1000).toISOString() };
}

/**
 * The PUT body, after the signature and expiry were checked: one upload per URL (claimed first,
 * so concurrent replays get 403), streamed to disk with a byte cap, kept only if its bytes are
 * one of the four image types.
 */
export async function receiveUpload(ctx: AppContext, key: string, body: Readable): Promise<{ key: string; contentType: string; size: number }> {
  const slot = await findAvatarUpload(ctx.db, key);
  if (!slot) throw uploadForbidden('This upload URL is not valid');
  const owner = await findUserById(ctx.db, slot.user_id);
  if (!owner || owner.deleted_at !== null || owner.banned_at !== null) throw uploadForbidden('This upload URL is not valid');
  if (!(await claimAvatarUpload(ctx.db, key, ctx.clock.now()))) throw uploadForbidden('This upload URL was already used');

  const store = avatarStore(ctx);
  let staged;
  try {
    staged = await store.stage(key, body, MAX_AVATAR_BYTES);
  } catch (error) {
    await releaseAvatarUpload(ctx.db, key);
    if (error instanceof ObjectTooLargeError) throw tooLarge();
    throw error;
  }
  const contentType = sniffImageType(staged.head);
  if (!contentType) {
    await staged.discard();
    await releaseAvatarUpload(ctx.db, key);
    throw new AppError('common/unsupported-media-type', 'The upload is not a PNG, JPEG, GIF or WebP image');
  }
  await staged.commit();
  await completeAvatarUpload(ctx.db, key, contentType, staged.size);
  return { key, contentType, size: staged.size };
}

/** GET /uploads/avatars/…: a completed object, or 404. */
export async function readAvatar(ctx: AppContext, key: string) {
  const slot = isObjectKey(key) ? await findAvatarUpload(ctx.db, key) : undefined;
  if (!slot || slot.content_type === null) throw new AppError('common/not-found', 'No such avatar');
  const object = await avatarStore(ctx).read(key);
  if (!object) throw new AppError('common/not-found', 'No such avatar');
  return { ...object, contentType: slot.content_type };
}

/**
 * U10: make an uploaded object the user's `image`. The key must have been issued to this user and
 * hold a checked image (auth-api.md U10); the previous avatar object is deleted.
 */
export async function attachAvatar(ctx: AppContext, userId: string, key: string): Promise<{ image: string }> {
  if (!isObjectKey(key) || !key.startsWith(`avatars/${userId}/`)) throw invalid('s3Key', 'was not issued to this user');
  const now = ctx.clock.now();
  const image = publicObjectUrl(ctx, key);
  const replaced = await ctx.db.transaction().execute(async (trx) => {
    const slot = await findAvatarUpload(trx, key);
    if (!slot || slot.user_id !== userId) throw invalid('s3Key', 'was not issued to this user');
    if (slot.content_type === null || !isAvatarType(slot.content_type) || (slot.size ?? Infinity) > MAX_AVATAR_BYTES) {
      throw invalid('s3Key', 'has no uploaded image');
    }
    const previous = (await findAttachedAvatars(trx, userId)).map((row) => row.key).filter((k) => k !== key);
    await deleteAvatarUploads(trx, previous);
    await attachAvatarUpload(trx, key, now);
    await updateUser(trx, userId, { image, updated_at: now });
    return previous;
  });
  ctx.cache.forgetUser(userId);
  await deleteObjects(ctx, replaced);
  return { image };
}

/**
 * U11: `image` becomes null and every object uploaded for the user goes, attached or not: an upload
 * never attached is served publicly too, and "remove my avatar" must leave none of them reachable.
 * Upload URLs not used yet die with their slot.
 */
export async function removeAvatar(ctx: AppContext, userId: string): Promise<void> {
  const now = ctx.clock.now();
  const removed = await ctx.db.transaction().execute(async (trx) => {
    const keys = (await findAvatarUploadsOfUser(trx, userId)).map((row) => row.key);
    await deleteAvatarUploads(trx, keys);
    await updateUser(trx, userId, { image: null, updated_at: now });
    return keys;
  });
  ctx.cache.forgetUser(userId);
  await deleteObjects(ctx, removed);
}

/** Maintenance: slots never attached, a day past expiry, go with their files. */
export async function removeAbandonedUploads(ctx: AppContext, batch = 500): Promise<number> {
  const rows = await findAbandonedAvatarUploads(ctx.db, ctx.clock.now() - ABANDONED_AFTER_MS, batch);
  await deleteObjects(ctx, rows.filter((row) => row.uploaded_at !== null).map((row) => row.key));
  await deleteAvatarUploads(ctx.db, rows.map((row) => row.key));
  return rows.length;
}

async function deleteObjects(ctx: AppContext, keys: string[]): Promise<void> {
  const store = avatarStore(ctx);
  for (const key of keys) {
    // A file that cannot be removed now is logged; the row is gone, so nothing serves it any more.
    await store.delete(key).catch((error) => ctx.log.warn({ err: error, key }, 'could not delete avatar object'));
  }
}

function invalid(field: string, message: string): AppError {
  return new AppError('common/invalid-parameters', `${field} ${message}`, { fields: [{ field, message }] });
}

function uploadForbidden(message: string): AppError {
  return new AppError('user/forbidden', message);
}

export function tooLarge(): AppError {
  // The rest of the body is not read: the connection is closed after the answer.
  return new AppError('common/payload-too-large', `Avatars are limited to ${MAX_AVATAR_BYTES} bytes`, undefined, { headers: { connection: 'close' } });
}
