import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { pagination } from '../http/schemas.js';
import type { UsersCaller } from './access.js';
import { presentAccount, presentPublicUser, presentSelfUser } from './present.js';
import { countLiveUsers, findAccountsOfUsers, listLiveUsers, type SearchField, type UserSortBy } from './queries.js';

export interface ListUsersInput {
  page: number;
  limit: number;
  search?: string;
  searchType?: SearchField;
  sortBy: UserSortBy;
  sortDirection: 'asc' | 'desc';
  includeAccounts?: boolean;
}

/**
 * U01: admins get full `User` objects (and `accounts` on request); everyone else gets `PublicUser`
 * and may neither search nor sort by email, role or updatedAt — each would be an oracle for data they
 * cannot read (`updatedAt` moves with a password change, a ban or a role change) (auth-api.md U01 [P],
 * OP-26). The caller's own row is shown in full.
 */
export async function listUsers(ctx: AppContext, caller: UsersCaller, input: ListUsersInput) {
  if (!caller.admin && (input.searchType === 'email' || input.sortBy === 'email' || input.sortBy === 'role' || input.sortBy === 'updatedAt')) {
    throw new AppError('user/forbidden', 'Only admins may search users by email or sort them by email, role or updatedAt');
  }
  const search = input.search?.trim();
  const fields: SearchField[] = input.searchType ? [input.searchType] : caller.admin ? ['name', 'nickname', 'email'] : ['name', 'nickname'];
  const filter = { search: search === '' ? undefined : search, searchFields: fields };
  const [rows, total] = await Promise.all([
    listLiveUsers(ctx.db, { ...filter, sortBy: input.sortBy, direction: input.sortDirection, limit: input.limit, offset: (input.page - 1) * input.limit }),
    countLiveUsers(ctx.db, filter),
  ]);
  const accounts = caller.admin && input.includeAccounts ? await findAccountsOfUsers(ctx.db, rows.map((row) => row.id)) : undefined;
  const items = rows.map((row) => {
    if (caller.admin) {
      const full = presentSelfUser(row);
      return accounts ? { ...full, accounts: accounts.filter((a) => a.user_id === row.id).map(presentAccount) } : full;
    }
    return caller.user?.id === row.id ? presentSelfUser(row) : presentPublicUser(row);
  });
  return { items, pagination: pagination(input.page, input.limit, total) };
}
