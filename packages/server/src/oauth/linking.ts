import { recordAudit } from '../audit/record.js';
import { parseEmail } from '../auth/email-address.js';
import { iso } from '../clock.js';
import type { AppContext } from '../context.js';
import { uuidv7 } from '../crypto/random.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import type { AccountsTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { updateUser } from '../users/queries.js';
import type { ProviderProfile } from './profile.js';
import { parseAccountProvider, type OauthProvider } from './providers.js';
import {
  accountIdentityExists,
  countAccountsOfUser,
  deleteAccountRow,
  findAccountByIdentity,
  findAccountOfUser,
  insertAccountRow,
  listAccountsOfUser,
  lockUserRow,
} from './queries.js';

/** `Account` (auth-api.md §13) with the summary page's names as copies. */
export function presentAccount(row: AccountsTable) {
  const connectedAt = iso(row.created_at)!;
  return { id: row.id, userId: row.user_id, provider: row.provider, providerAccountId: row.provider_account_id, email: row.email, connectedAt, linkedAt: connectedAt };
}

/**
 * A18 / E1 `link=true`: add an identity to the signed-in user (auth-api.md §8.6). An identity belongs to
 * one user only, the caller included (409 auth/account-already-linked); one account per provider.
 */
export async function linkProfile(ctx: AppContext, userId: string, provider: OauthProvider, profile: ProviderProfile, meta: RequestMeta): Promise<void> {
  const now = ctx.clock.now();
  try {
    await ctx.db.transaction().execute(async (trx) => {
      if (ctx.dialect.rowLocks) await lockUserRow(trx, userId);
      if (await findAccountByIdentity(trx, provider, profile.providerAccountId)) throw alreadyLinked(provider);
      if (await findAccountOfUser(trx, userId, provider)) throw alreadyLinked(provider);
      // The provider's address is informative only (it may differ from the user's, §8.6); kept when verified.
      const email = profile.email ? safeEmail(profile.email) : null;
      await insertAccountRow(trx, { id: uuidv7(now), user_id: userId, provider, provider_account_id: profile.providerAccountId, email, created_at: now });
      await recordAudit(ctx, { event: 'account.linked', userId, actor: 'user', meta, details: { provider } }, trx);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw alreadyLinked(provider);
    throw error;
  }
}

export async function listAccounts(ctx: AppContext, userId: string, page: number, limit: number) {
  const [rows, total] = await Promise.all([listAccountsOfUser(ctx.db, userId, limit, (page - 1) * limit), countAccountsOfUser(ctx.db, userId)]);
  return { rows, total };
}

/**
 * A20: remove one sign-in method, never the last (400 auth/cannot-unlink-last-account). `email` removes
 * the password credential too. Counting and deleting share a transaction (a row lock on PostgreSQL), so
 * two concurrent unlinks cannot leave a user with no way in.
 */
export async function unlinkAccount(ctx: AppContext, userId: string, providerParam: string, meta: RequestMeta): Promise<void> {
  const provider = parseAccountProvider(providerParam);
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    if (ctx.dialect.rowLocks) await lockUserRow(trx, userId);
    const account = await findAccountOfUser(trx, userId, provider);
    if (!account) throw new AppError('auth/account-not-found', `No ${provider} account is linked`);
    if ((await countAccountsOfUser(trx, userId)) <= 1) {
      throw new AppError('auth/cannot-unlink-last-account', 'This is the last way to sign in to this account; link another one first');
    }
    await deleteAccountRow(trx, account.id);
    if (provider === 'email') await updateUser(trx, userId, { password_hash: null, password_changed_at: null, updated_at: now });
    await recordAudit(ctx, { event: 'account.unlinked', userId, actor: 'user', meta, details: { provider } }, trx);
  });
  if (provider === 'email') ctx.cache.forgetUser(userId);
}

export interface AccountCheckInput {
  type: string;
  provider: string;
  providerAccountId: string;
}

/**
 * A21: kept for compatibility although it answers "is this registered?" without authentication
 * (auth-api.md OP-23): rate-limited per IP and switchable off with LATCH_ACCOUNTS_CHECK=off.
 */
export async function checkAccount(ctx: AppContext, input: AccountCheckInput, meta: RequestMeta): Promise<{ exists: boolean; type?: string; provider?: string }> {
  if (!ctx.config.oauth.accountsCheckEnabled) throw new AppError('auth/forbidden', 'Account look-up is disabled on this server');
  await ctx.limiter.consume('accountsCheckPerIp', meta.ip ?? 'unknown');
  const provider = parseAccountProvider(input.provider);
  const type = input.type === 'email' ? 'credentials' : input.type;
  const expected = provider === 'email' ? 'credentials' : 'oauth';
  if (type !== 'credentials' && type !== 'oauth') throw invalidField('type', 'must be credentials or oauth');
  if (type !== expected) throw invalidField('provider', `${type} goes with ${type === 'credentials' ? 'email' : 'google or github'}`);
  const id = provider === 'email' ? parseEmail(input.providerAccountId).normalized : input.providerAccountId;
  const exists = await accountIdentityExists(ctx.db, provider, id);
  return exists ? { exists, type, provider } : { exists };
}

function safeEmail(raw: string): string | null {
  try {
    return parseEmail(raw).email;
  } catch {
    return null;
  }
}

function alreadyLinked(provider: OauthProvider): AppError {
  return new AppError('auth/account-already-linked', `This ${provider} account is already linked, or a ${provider} account is already linked to you`);
}

function invalidField(field: string, message: string): AppError {
  return new AppError('auth/validation-error', `${field} ${message}`, { fields: [{ field, message }] });
}
