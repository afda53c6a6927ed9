import type { FastifyRequest } from 'fastify';
import type { UsersTable } from '../db/types.js';
import { isAdminKey, scopedKeyRefusal } from '../api-keys/api-keys.js';
import { AppError } from '../errors/app-error.js';

export interface InvitationsCaller {
  /** The secret key without scopes, or an admin-role JWT (decisions.md §5: "the secret key or an admin may invite to any resource"). */
  admin: boolean;
  user?: UsersTable;
}

/** A22–A24, A27 need a JWT or the secret key; the publishable key alone → 401 auth/unauthorized. */
export function invitationsCaller(request: FastifyRequest): InvitationsCaller {
  const { key, user } = request.caller;
  const adminKey = isAdminKey(key);
  if (!adminKey && !user) throw scopedKeyRefusal(key, 'auth') ?? new AppError('auth/unauthorized', 'Authorization: Bearer <accessToken> is required');
  return { admin: adminKey || user?.role === 'admin', user };
}
