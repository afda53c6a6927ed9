import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { sha256Hex } from '../crypto/digest.js';
import { randomToken } from '../crypto/random.js';
import type { Db } from '../db/transaction.js';
import { consumeMagicLinkToken } from '../email-flows/magic-link.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { insertNewSession, tokenPair, type TokenPair } from '../sessions/sessions.js';
import { findUserById, updateUser } from '../users/queries.js';
import { countChallengeFailure, deleteChallenge, deleteExpiredChallenges, findChallenge, insertChallenge } from './queries.js';
import { verifySecondFactor } from './verify.js';

// decisions.md §5 / OP-13: 5 minutes, single use, voided after 5 wrong codes.
const CHALLENGE_TTL_MS = 5 * 60_000;
const MAX_WRONG_CODES = 5;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Store a challenge for a user who passed the first factor; the 403 carries its token. */
export async function issueMfaChallenge(ctx: AppContext, userId: string, flow: string, pending: Record<string, unknown>): Promise<AppError> {
  const now = ctx.clock.now();
  const mfaToken = randomToken(32);
  await deleteExpiredChallenges(ctx.db, now);
  await insertChallenge(ctx.db, {
    token_hash: sha256Hex(mfaToken),
    user_id: userId,
    flow,
    pending: JSON.stringify(pending),
    created_at: now,
    expires_at: now + CHALLENGE_TTL_MS,
  });
  return new AppError('auth/mfa-required', 'A second factor is required: retry POST /v1/auth/:provider/callback with { mfaToken, mfaCode }', {
    mfaToken,
    expiresIn: CHALLENGE_TTL_MS / 1000,
  });
}

/**
 * A04 `{ mfaToken, mfaCode }`: verify the code, consume the challenge, finish the pending flow and
 * create the session. The challenge is claimed (deleted) in the same transaction that creates the
 * session, so two concurrent redemptions cannot both sign in.
 */
export async function completeMfaChallenge(ctx: AppContext, input: { mfaToken: string; mfaCode: string }, meta: RequestMeta): Promise<TokenPair> {
  if (!TOKEN_PATTERN.test(input.mfaToken)) throw invalidChallenge();
  const tokenHash = sha256Hex(input.mfaToken);
  const challenge = await findChallenge(ctx.db, tokenHash);
  if (!challenge) throw invalidChallenge();
  if (challenge.expires_at <= ctx.clock.now()) {
    await deleteChallenge(ctx.db, tokenHash);
    throw new AppError('auth/token-expired', 'The MFA challenge expired; sign in again');
  }
  const user = await findUserById(ctx.db, challenge.user_id);
  if (!user || user.deleted_at !== null) throw invalidChallenge();
  if (user.banned_at !== null) throw new AppError('auth/account-banned', 'This account is suspended');

  try {
    await verifySecondFactor(ctx, user.id, input.mfaCode, meta);
  } catch (error) {
    if (error instanceof AppError && error.code === 'auth/invalid-mfa-code') {
      // Voided after 5 wrong codes: the attacker must pass the first factor again.
      if ((await countChallengeFailure(ctx.db, tokenHash)) >= MAX_WRONG_CODES) await deleteChallenge(ctx.db, tokenHash);
    }
    throw error;
  }

  const pending = JSON.parse(challenge.pending) as Record<string, unknown>;
  const now = ctx.clock.now();
  const session = await ctx.db.transaction().execute(async (trx) => {
    if (!(await deleteChallenge(trx, tokenHash))) throw invalidChallenge();
    await finishPendingFlow(ctx, trx, challenge.flow, pending, user.id, meta);
    await updateUser(trx, user.id, { last_sign_in_at: now });
    return insertNewSession(ctx, trx, user.id, meta);
  });
  await recordAudit(ctx, { event: 'user.signed_in', userId: user.id, sessionId: session.sessionId, actor: 'user', meta, details: { method: challenge.flow, ...methodDetail(pending), mfa: true } });
  return { ...(await tokenPair(ctx, user, session)), is_new_user: false };
}

/**
 * Work the first factor deferred until the second one passed (OP-13): a magic-link token is consumed
 * only now, inside the transaction that creates the session (it stays usable if MFA fails).
 */
async function finishPendingFlow(ctx: AppContext, trx: Db, flow: string, pending: Record<string, unknown>, userId: string, meta: RequestMeta): Promise<void> {
  switch (flow) {
    case 'password':
    case 'oauth':
      return;
    case 'magiclink': {
      if (typeof pending.magicTokenHash !== 'string') throw invalidChallenge();
      const consumed = await consumeMagicLinkToken(ctx, trx, pending.magicTokenHash, meta);
      // The link must still lead to the user who passed the second factor.
      if (consumed.userId !== userId) throw invalidChallenge();
      return;
    }
    default:
      // An unknown flow never signs anyone in.
      throw invalidChallenge();
  }
}

function methodDetail(pending: Record<string, unknown>): Record<string, unknown> {
  return typeof pending.provider === 'string' ? { provider: pending.provider } : {};
}

function invalidChallenge(): AppError {
  return new AppError('auth/invalid-token', 'The MFA challenge is unknown or was already used');
}
