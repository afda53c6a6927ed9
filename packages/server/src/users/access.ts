import type { FastifyRequest } from 'fastify';
import type { UsersTable } from '../db/types.js';
import { isAdminKey, scopedKeyRefusal } from '../api-keys/api-keys.js';
import { AppError } from '../errors/app-error.js';

/** Who the caller is relative to a `/v1/users` target (auth-api.md §1.1, §9). */
export type Access = 'admin' | 'self' | 'other';

export interface UsersCaller {
  /** The secret key without scopes, or any key with an admin-role JWT (decisions.md §5). */
  admin: boolean;
  /** The signed-in user, when a JWT was sent. */
  user?: UsersTable;
}

/**
 * Every /v1/users route needs a JWT or the secret key: without either → 401 user/unauthorized
 * (decisions.md §3). Authorisation uses the user's current role from storage, never the JWT claim
 * (auth-api.md OP-7), so a demotion applies on the next request.
 */
export function usersCaller(request: FastifyRequest): UsersCaller {
  const { key, user } = request.caller;
  const adminKey = isAdminKey(key);
  if (!adminKey && !user) throw scopedKeyRefusal(key, 'user') ?? new AppError('user/unauthorized', 'Authorization: Bearer <accessToken> or the secret key is required');
  return { admin: adminKey || user?.role === 'admin', user };
}

export function accessTo(caller: UsersCaller, userId: string): Access {
  if (caller.admin) return 'admin';
  return caller.user?.id === userId ? 'self' : 'other';
}

/** Route hook for U04, U05, U08–U19: self or admin, else 403, before the body is even parsed. */
export async function requireSelfOrAdmin(request: FastifyRequest): Promise<void> {
  const { userId } = request.params as { userId: string };
  if (accessTo(usersCaller(request), userId) === 'other') throw new AppError('user/forbidden', 'Only the user themself or an admin may do this');
}

/** Route hook for U01, U03, U07: any signed-in user or admin. */
export async function requireSignedIn(request: FastifyRequest): Promise<void> {
  usersCaller(request);
}
