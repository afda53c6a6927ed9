import type { AppContext } from '../context.js';
import type { Db } from '../db/transaction.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import { lockActiveAdminIds } from './queries.js';

/**
 * At least one admin who can act must always remain (auth-api.md §9, OP-26, decisions.md §3):
 * refuse to delete, demote or ban `target` when it is the last live, unbanned admin. Call inside the
 * transaction that makes the change; on PostgreSQL the admin rows stay locked until it commits.
 */
export async function assertNotLastAdmin(
  ctx: Pick<AppContext, 'dialect'>,
  trx: Db,
  target: Pick<UsersTable, 'id' | 'role'>,
  code: ErrorCode = 'user/forbidden',
): Promise<void> {
  if (target.role !== 'admin') return;
  const admins = await lockActiveAdminIds(trx, ctx.dialect.rowLocks);
  if (admins.includes(target.id) && admins.length <= 1) {
    throw new AppError(code, 'The last admin cannot be removed, demoted or banned');
  }
}
