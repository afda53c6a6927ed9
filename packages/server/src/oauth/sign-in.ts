import { recordAudit } from '../audit/record.js';
import { newUserRow } from '../users/new-user-row.js';
import { parseEmail } from '../auth/email-address.js';
import type { AppContext } from '../context.js';
import { uuidv7 } from '../crypto/random.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { requireSecondFactor } from '../mfa/guard.js';
import { openSignedInSession } from '../sessions/open-session.js';
import { insertNewSession, tokenPair, type TokenPair } from '../sessions/sessions.js';
import { findLiveUserByEmail, findUserById, insertUser, type UserRow } from '../users/queries.js';
import type { ProviderProfile } from './profile.js';
import type { OauthProvider } from './providers.js';
import { deleteAccountRow, findAccountByIdentity, insertAccountRow } from './queries.js';

export type OauthTokenPair = TokenPair & { is_new_user: boolean };

/**
 * auth-api.md §8.2 steps 3–7: the identity's user signs in; an unknown identity whose email is already
 * registered gets 409 auth/account-exists-different-provider — never an automatic link (§16.6, the
 * pre-account-takeover defence); otherwise a user is created. MFA guards this path too (OP-13).
 */
export async function signInWithProfile(ctx: AppContext, provider: OauthProvider, profile: ProviderProfile, meta: RequestMeta, mfaCode?: string): Promise<OauthTokenPair> {
  const account = await findAccountByIdentity(ctx.db, provider, profile.providerAccountId);
  if (account) {
    const user = await findUserById(ctx.db, account.user_id);
    if (user && user.deleted_at === null) return signInExisting(ctx, provider, user, meta, mfaCode);
    // A link left behind by a deleted user: the identity is free again.
    await deleteAccountRow(ctx.db, account.id);
  }

  if (!profile.email) {
    throw new AppError('auth/validation-error', `${provider} did not report a verified email address`, {
      fields: [{ field: 'email', message: 'the provider account has no verified email address' }],
      provider,
    });
  }
  const { email, normalized } = parseEmail(profile.email);
  if (await findLiveUserByEmail(ctx.db, normalized)) throw differentProvider(provider);

  const now = ctx.clock.now();
  const user: UserRow = newUserRow(now, {
    email,
    normalized,
    name: displayName(profile.name, email),
    // The provider verified it (OP-22), so the address counts as verified here too.
    emailVerified: true,
    image: profile.image && profile.image.length <= 2048 ? profile.image : null,
    signedIn: true,
  });
  let session: { sessionId: string; refreshToken: string };
  try {
    session = await ctx.db.transaction().execute(async (trx) => {
      await insertUser(trx, user);
      await insertAccountRow(trx, { id: uuidv7(now), user_id: user.id, provider, provider_account_id: profile.providerAccountId, email, created_at: now });
      const opened = await insertNewSession(ctx, trx, user.id, meta);
      await recordAudit(ctx, { event: 'user.signed_up', userId: user.id, sessionId: opened.sessionId, actor: 'user', meta, details: { method: provider } }, trx);
      return opened;
    });
  } catch (error) {
    // A concurrent sign-up took the address (or the identity) first: same answer as if it had been earlier.
    if (isUniqueViolation(error)) throw differentProvider(provider);
    throw error;
  }
  return { ...(await tokenPair(ctx, user, session)), is_new_user: true };
}

async function signInExisting(ctx: AppContext, provider: OauthProvider, user: UserRow, meta: RequestMeta, mfaCode?: string): Promise<OauthTokenPair> {
  if (user.banned_at !== null) throw new AppError('auth/account-banned', 'This account is suspended');
  await requireSecondFactor(ctx, user, { flow: 'oauth', mfaCode, pending: { provider }, meta });
  const session = await openSignedInSession(ctx, user.id, meta, { audit: { event: 'user.signed_in', actor: 'user', details: { method: provider } } });
  return { ...(await tokenPair(ctx, user, session)), is_new_user: false };
}

/** Provider names can be long or empty; the user's name is 1–100 characters (auth-api.md A01). */
function displayName(name: string | null, email: string): string {
  const trimmed = [...(name ?? '').trim().normalize('NFC')].slice(0, 100).join('');
  return trimmed || email.split('@')[0].slice(0, 100) || 'User';
}

function differentProvider(provider: OauthProvider): AppError {
  return new AppError(
    'auth/account-exists-different-provider',
    `An account with this email already exists with another sign-in method; sign in that way and link ${provider} from the account settings`,
  );
}
