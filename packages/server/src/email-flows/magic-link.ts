import { recordAudit } from '../audit/record.js';
import { newUserRow as buildUserRow } from '../users/new-user-row.js';
import { parseEmail } from '../auth/email-address.js';
import { emailSettings } from '../auth/email-settings.js';
import { parseName } from '../auth/user-name.js';
import type { AppContext } from '../context.js';
import { uuidv7 } from '../crypto/random.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import type { Db } from '../db/transaction.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import { requireString } from '../http/fields.js';
import type { RequestMeta } from '../http/request-meta.js';
import { requireSecondFactor } from '../mfa/guard.js';
import { assertAllowedRedirect } from '../oauth/redirect-allow-list.js';
import { insertNewSession, tokenPair, type TokenPair } from '../sessions/sessions.js';
import { findLiveUserByEmail, findUserById, insertAccount, insertUser, updateUser } from '../users/queries.js';
import { composeEmail } from './compose-email.js';
import { deliverInBackground } from './delivery.js';
import { appendQuery, hashEmailToken, issueEmailToken, lookupEmailTokenHash, MINUTE } from './email-tokens.js';
import { claimEmailToken, findEmailToken, findUserAccountProviders } from './queries.js';
import { spendAddressEmailBudget, spendIpEmailBudget } from './send-limits.js';
import { proveAddress } from './unproven-account.js';

const MAGIC = ['magic_link'] as const;

export const MAGIC_LINK_SENT = 'Check your inbox: a sign-in link has been sent';

/** A01-M / A02-M (auth-api.md §8.1): both behave the same; only the status differs (201 / 200). */
export async function requestMagicLink(
  ctx: AppContext,
  input: { email: string; callbackUrl?: string; name?: string },
  meta: RequestMeta,
): Promise<{ message: string; email: string }> {
  await assertMagicLinkEnabled(ctx);
  await spendIpEmailBudget(ctx, meta);
  const { email, normalized } = parseEmail(input.email);
  // The link goes straight to the app's page (§8.1 step 3), so the target must be allow-listed;
  // a refused one is never followed and never placed in a mail (RFC 9700 §4.11).
  const callbackUrl = assertAllowedRedirect(requireString(input.callbackUrl, 'callbackUrl'), ctx.config.allowedRedirectUrls, 'callbackUrl').toString();
  const name = input.name !== undefined && input.name.trim() !== '' ? parseName(input.name) : null;
  await spendAddressEmailBudget(ctx, normalized);

  const user = await findLiveUserByEmail(ctx.db, normalized);
  // §16.8: refused for social-only accounts (a documented leak, OP-44; the budgets above bound it).
  if (user && (await isSocialOnly(ctx.db, user.id))) {
    throw new AppError('auth/magiclink-not-available-for-social', 'This account signs in with Google or GitHub; magic link is not available for it');
  }

  deliverInBackground(ctx, 'magic_link', async () => {
    const settings = await emailSettings(ctx);
    const ttlMs = settings.magicLinkExpirationMinutes * MINUTE;
    // No user row before the exchange (OP-12): the token remembers the address and the name.
    const token = await issueEmailToken(ctx, { purpose: 'magic_link', email: user?.email ?? email, emailNormalized: normalized, userId: user?.id ?? null, name, ttlMs });
    const magicLink = appendQuery(callbackUrl, { token });
    const to = user?.email ?? email;
    await ctx.mailer.send(
      await composeEmail(ctx, {
        template: 'magic_link',
        to,
        userId: user?.id ?? null,
        variables: { userName: user?.name ?? '', userEmail: to, magicLink },
        expiresInMinutes: settings.magicLinkExpirationMinutes,
      }),
    );
  });
  return { message: MAGIC_LINK_SENT, email };
}

/**
 * A04 with provider `email`: `{ token }` → a token pair with `is_new_user`. MFA (OP-13) is checked
 * before the token is consumed, so a user who cannot pass the second factor keeps a working link;
 * the challenge remembers only the token's hash.
 */
export async function exchangeMagicLink(ctx: AppContext, input: { token?: string; mfaCode?: string }, meta: RequestMeta): Promise<TokenPair> {
  await assertMagicLinkEnabled(ctx);
  if (input.token === undefined || input.token === '') throw new AppError('auth/magic-token-missing', 'token is required');
  const hash = hashEmailToken(input.token);
  if (!hash) throw invalidToken();
  const found = await lookupEmailTokenHash(ctx.db, hash, MAGIC, ctx.clock.now());
  if (found.state === 'unknown' || found.state === 'used') throw invalidToken();
  if (found.state === 'expired') throw expiredToken();

  const existing = await findLiveUserByEmail(ctx.db, found.row.email_normalized);
  assertSameAccount(found.row.user_id, existing);
  if (existing) {
    await assertMayUseMagicLink(ctx.db, existing);
    await requireSecondFactor(ctx, existing, { flow: 'magiclink', mfaCode: input.mfaCode, pending: { magicTokenHash: hash }, meta });
  }

  for (let attempt = 0; ; attempt++) {
    try {
      const { user, session, isNewUser, setupDropped } = await ctx.db.transaction().execute(async (trx) => {
        // The second factor was passed above iff the account had MFA on when checked.
        const consumed = await consumeMagicLinkToken(ctx, trx, hash, meta, { secondFactorPassed: Boolean(existing?.mfa_enabled) });
        const now = ctx.clock.now();
        await updateUser(trx, consumed.userId, { last_sign_in_at: now });
        const row = (await findUserById(trx, consumed.userId))!;
        const created = await insertNewSession(ctx, trx, consumed.userId, meta);
        const event = consumed.isNewUser ? 'user.signed_up' : 'user.signed_in';
        await recordAudit(ctx, { event, userId: consumed.userId, sessionId: created.sessionId, actor: 'user', meta, details: { method: 'magiclink' } }, trx);
        return { user: row, session: created, isNewUser: consumed.isNewUser, setupDropped: consumed.setupDropped };
      });
      if (setupDropped) ctx.cache.forgetUser(user.id);
      return { ...(await tokenPair(ctx, user, session)), is_new_user: isNewUser };
    } catch (error) {
      // Two links for one new address exchanged at once: the unique email index lets one create the
      // account; the other rolls back (its token unconsumed) and signs in to that account.
      if (attempt === 0 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

/**
 * Claim a magic-link token inside the caller's transaction and find or create its account (§8.1, A04
 * effects): `emailVerified` set if null, the `email` credential ensured, `magic_link.used` recorded.
 * The first proof of a never-verified address drops what was set up before it (unproven-account.ts);
 * `setupDropped` tells the caller to clear the user's auth cache after commit.
 * Also called by the MFA challenge (mfa/challenge.ts) once the second factor passed, hence
 * `secondFactorPassed` defaults to true (it only matters when the account has MFA on).
 */
export async function consumeMagicLinkToken(
  ctx: AppContext,
  trx: Db,
  tokenHash: string,
  meta?: RequestMeta,
  options: { secondFactorPassed?: boolean } = {},
): Promise<{ userId: string; isNewUser: boolean; setupDropped: boolean }> {
  const now = ctx.clock.now();
  if (!(await claimEmailToken(trx, tokenHash, MAGIC, now))) {
    const row = await findEmailToken(trx, tokenHash, MAGIC);
    throw row && row.used_at === null && Number(row.expires_at) <= now ? expiredToken() : invalidToken();
  }
  const token = (await findEmailToken(trx, tokenHash, MAGIC))!;
  let user = await findLiveUserByEmail(trx, token.email_normalized);
  assertSameAccount(token.user_id, user);
  let isNewUser = false;
  let setupDropped = false;
  if (user) {
    await assertMayUseMagicLink(trx, user);
    if (user.email_verified_at === null) {
      setupDropped = await proveAddress(ctx, trx, { user, proof: 'magic_link', secondFactorPassed: options.secondFactorPassed ?? true, meta });
    }
    const providers = await findUserAccountProviders(trx, user.id);
    if (!providers.some((p) => p.provider === 'email')) {
      await insertAccount(trx, { id: uuidv7(now), user_id: user.id, provider: 'email', provider_account_id: token.email_normalized, email: user.email, created_at: now });
    }
  } else {
    user = newUserRow(token.email, token.email_normalized, token.name, now);
    await insertUser(trx, user);
    await insertAccount(trx, { id: uuidv7(now), user_id: user.id, provider: 'email', provider_account_id: token.email_normalized, email: token.email, created_at: now });
    isNewUser = true;
  }
  await recordAudit(ctx, { event: 'magic_link.used', userId: user.id, actor: 'user', meta, details: { newUser: isNewUser } }, trx);
  return { userId: user.id, isNewUser, setupDropped };
}

function newUserRow(email: string, normalized: string, name: string | null, now: number): UsersTable {
  // OP-12: the name given with the request, else the address's local part.
  const fallback = [...email.split('@')[0]].slice(0, 100).join('') || 'user';
  return buildUserRow(now, { email, normalized, name: name ?? fallback, emailVerified: true, signedIn: true });
}

async function assertMagicLinkEnabled(ctx: AppContext): Promise<void> {
  const settings = await emailSettings(ctx);
  if (!settings.enabled || !settings.magicLinkEnabled) throw new AppError('auth/magiclink-disabled', 'Magic link sign-in is turned off');
}

async function assertMayUseMagicLink(db: Db, user: UsersTable): Promise<void> {
  if (user.banned_at !== null) throw new AppError('auth/account-banned', 'This account is suspended');
  if (await isSocialOnly(db, user.id)) {
    throw new AppError('auth/magiclink-not-available-for-social', 'This account signs in with Google or GitHub; magic link is not available for it');
  }
}

/**
 * A link sent to an account works only for that account: if it was deleted (A08 withdraws pending
 * tokens, auth-api.md A08) or the address now belongs to someone else, the link is dead.
 */
function assertSameAccount(tokenUserId: string | null, user: UsersTable | undefined): void {
  if (tokenUserId !== null && user?.id !== tokenUserId) throw invalidToken();
}

/** Social-only = linked accounts, none of them the `email` credential (which a password always comes with). */
async function isSocialOnly(db: Db, userId: string): Promise<boolean> {
  const providers = await findUserAccountProviders(db, userId);
  return providers.length > 0 && !providers.some((p) => p.provider === 'email');
}

function invalidToken(): AppError {
  return new AppError('auth/invalid-token', 'This sign-in link is invalid or was already used');
}

function expiredToken(): AppError {
  return new AppError('auth/token-expired', 'This sign-in link has expired; request a new one');
}
