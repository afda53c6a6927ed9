import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import { updateUser } from '../users/queries.js';
import { emailSettings } from './email-settings.js';
import { assertPasswordAcceptable } from './password-policy.js';
import { endWhatTheOldPasswordOpened } from './password-replaced.js';

/**
 * A12: every session of the user ends, the caller's too (auth-api.md §16.3), with all else the old
 * password opened (password-replaced.ts); no new tokens.
 */
export async function changePassword(ctx: AppContext, user: UsersTable, currentPassword: string, newPassword: string): Promise<void> {
  // A stolen access token must not become an oracle for the password: failures are budgeted per user.
  // Spent before the check and given back when it passes, so concurrent guesses are counted one by one.
  await ctx.limiter.consume('passwordChangePerUser', user.id);
  const ok = user.password_hash ? await ctx.passwords.verify(user.password_hash, currentPassword) : await ctx.passwords.verifyDummy(currentPassword);
  if (!ok) throw new AppError('auth/invalid-password', 'Current password is incorrect');
  await ctx.limiter.refund('passwordChangePerUser', user.id);
  if (newPassword.normalize('NFC') === currentPassword.normalize('NFC')) {
    throw new AppError('auth/same-as-previous-password', 'The new password must differ from the current one');
  }
  assertPasswordAcceptable(newPassword, (await emailSettings(ctx)).passwordPolicy);
  const hash = await ctx.passwords.hash(newPassword);
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await updateUser(trx, user.id, { password_hash: hash, password_changed_at: now, updated_at: now });
    await endWhatTheOldPasswordOpened(ctx, trx, user.id, 'password_changed', now);
    await recordAudit(ctx, { event: 'password.changed', userId: user.id, actor: 'user' }, trx);
  });
  ctx.cache.forgetUser(user.id);
}
