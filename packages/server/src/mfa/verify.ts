import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { BACKUP_CODE, normalizeSecondFactorCode } from './backup-codes.js';
import { claimTotpStep, findTotp, listUnusedBackupCodes, useBackupCode } from './queries.js';
import { matchTotpStep, TOTP_CODE } from './totp.js';

export const SECRET_PURPOSE = 'mfa-totp-secret';

export type SecondFactorKind = 'totp' | 'backup_code';

/**
 * Check a TOTP or backup code for a user with MFA on (auth-api.md §8.5, OP-14). Wrong codes are
 * counted per user: 5 failures in 5 minutes → 429 auth/too-many-requests (§10, ASVS 6.3.1), spent
 * before any work so a locked-out attacker learns nothing more.
 */
export async function verifySecondFactor(ctx: AppContext, userId: string, rawCode: string, meta?: RequestMeta): Promise<SecondFactorKind> {
  // Spent before the code is judged (Limiters.consume), so a burst of guesses is counted one by one.
  const attempts = await ctx.limiter.consume('mfaAttemptsPerUser', userId);
  const code = normalizeSecondFactorCode(rawCode);
  const kind = await matchCode(ctx, userId, code);
  if (kind === 'exhausted') {
    throw new AppError('auth/mfa-backup-codes-exhausted', 'Every backup code has been used; use your authenticator app');
  }
  if (!kind) {
    await recordAudit(ctx, { event: 'mfa.verify_failed', outcome: 'failure', userId, actor: 'user', meta });
    throw new AppError('auth/invalid-mfa-code', 'The authentication code is not valid');
  }
  // The right code was no failure, and it forgives earlier wrong ones.
  await (attempts > 1 ? ctx.limiter.reset('mfaAttemptsPerUser', userId) : ctx.limiter.refund('mfaAttemptsPerUser', userId));
  if (kind === 'backup_code') await recordAudit(ctx, { event: 'mfa.backup_code_used', userId, actor: 'user', meta });
  return kind;
}

async function matchCode(ctx: AppContext, userId: string, code: string): Promise<SecondFactorKind | 'exhausted' | null> {
  if (TOTP_CODE.test(code)) {
    const totp = await findTotp(ctx.db, userId);
    if (!totp || totp.status !== 'active') return null;
    const step = matchTotpStep(ctx.sealer.open(SECRET_PURPOSE, totp.secret_sealed), code, ctx.clock.now());
    // A code already accepted in its window is refused (RFC 6238 §5.2, ASVS 6.5.1).
    if (step === null || !(await claimTotpStep(ctx.db, userId, step))) return null;
    return 'totp';
  }
  if (BACKUP_CODE.test(code)) {
    const unused = await listUnusedBackupCodes(ctx.db, userId);
    if (unused.length === 0) return 'exhausted';
    // Every unused hash is checked, not stopping at a match, so timing does not reveal which one matched.
    const results = await Promise.all(unused.map((row) => ctx.passwords.verify(row.code_hash, code)));
    const index = results.indexOf(true);
    if (index === -1 || !(await useBackupCode(ctx.db, unused[index].id, ctx.clock.now()))) return null;
    return 'backup_code';
  }
  return null;
}
