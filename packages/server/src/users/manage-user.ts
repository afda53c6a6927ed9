import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import { revokeAllSessions } from '../sessions/sessions.js';
import { createUser } from './create-user.js';
import { parseNickname, parseRole, parseUserName } from './field-rules.js';
import { assertNotLastAdmin } from './last-admin.js';
import { findLiveUser, updateUser } from './queries.js';

export async function findTargetUser(ctx: Pick<AppContext, 'db'>, userId: string): Promise<UsersTable> {
  const user = await findLiveUser(ctx.db, userId);
  if (!user) throw new AppError('user/not-found', 'No such user');
  return user;
}

export interface CreateUserBody {
  name?: unknown;
  email: string;
  role?: unknown;
  password?: string;
}

/** U02 (admin): no email is sent and `emailVerified` stays null (auth-api.md U02 [P]). */
export async function createUserAsAdmin(ctx: AppContext, body: CreateUserBody, actorId: string | null): Promise<UsersTable> {
  const name = parseUserName(body.name);
  const role = body.role === undefined ? 'user' : parseRole(body.role);
  const user = await createUser(ctx, { email: body.email, name, role, password: body.password, emailVerified: false });
  await recordAudit(ctx, { event: 'user.created', userId: user.id, actor: actorId ? `admin:${actorId}` : 'secret_key', details: { role } });
  return user;
}

export interface UserPatch {
  name?: unknown;
  nickname?: unknown;
  banned?: boolean;
}

/**
 * U04: `name` and `nickname` for self and admins; `banned` (OP-28) only for admins. Every other
 * field — and `banned` from a non-admin — is ignored, never applied and never refused (OP-26).
 */
export async function patchUser(ctx: AppContext, target: UsersTable, patch: UserPatch, actor: { admin: boolean; id: string | null }): Promise<UsersTable> {
  const change: Partial<Pick<UsersTable, 'name' | 'nickname'>> = {};
  if (patch.name !== undefined) change.name = parseUserName(patch.name);
  if (patch.nickname !== undefined) change.nickname = parseNickname(patch.nickname);
  if (Object.keys(change).length > 0) {
    await updateUser(ctx.db, target.id, { ...change, updated_at: ctx.clock.now() });
    ctx.cache.forgetUser(target.id);
  }
  if (actor.admin && patch.banned !== undefined && patch.banned !== (target.banned_at !== null)) {
    await setBanned(ctx, target.id, patch.banned, actor.id ? `admin:${actor.id}` : 'secret_key');
  }
  return findTargetUser(ctx, target.id);
}

/**
 * OP-28 ban: every session revoked in the same transaction, sign-in and refresh answer
 * 403 auth/account-banned from then on; unban only clears the flag. Shared by U04 and the CLI.
 */
export async function setBanned(ctx: AppContext, userId: string, banned: boolean, actor: string): Promise<UsersTable> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const user = await findLiveUser(trx, userId);
    if (!user) throw new AppError('user/not-found', 'No such user');
    if (banned) {
      if (user.banned_at !== null) return;
      await assertNotLastAdmin(ctx, trx, user);
      await updateUser(trx, userId, { banned_at: now, updated_at: now });
      await revokeAllSessions(ctx, userId, 'banned', trx, actor);
      await recordAudit(ctx, { event: 'user.banned', userId, actor }, trx);
    } else {
      if (user.banned_at === null) return;
      await updateUser(trx, userId, { banned_at: null, updated_at: now });
      await recordAudit(ctx, { event: 'user.unbanned', userId, actor }, trx);
    }
  });
  ctx.cache.forgetUser(userId);
  return findTargetUser(ctx, userId);
}

/**
 * U06 (admin): the new role applies on the user's next request — the cached session+user entry is
 * dropped and authorisation reads the stored role, not the JWT claim (auth-api.md §4.3, OP-7).
 */
export async function changeRole(ctx: AppContext, userId: string, roleInput: unknown, actor: string): Promise<UsersTable> {
  const role = parseRole(roleInput);
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const user = await findLiveUser(trx, userId);
    if (!user) throw new AppError('user/not-found', 'No such user');
    if (user.role === role) return;
    if (role !== 'admin') await assertNotLastAdmin(ctx, trx, user);
    await updateUser(trx, userId, { role, updated_at: now });
    await recordAudit(ctx, { event: 'user.role_changed', userId, actor, details: { from: user.role, to: role } }, trx);
  });
  ctx.cache.forgetUser(userId);
  return findTargetUser(ctx, userId);
}
