import QRCode from 'qrcode';
import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { uuidv7 } from '../crypto/random.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { updateUser } from '../users/queries.js';
import { generateBackupCodes, normalizeSecondFactorCode } from './backup-codes.js';
import { activateTotp, deleteMfaOfUser, findTotp, insertBackupCodes, upsertPendingTotp } from './queries.js';
import { generateTotpSecret, matchTotpStep, otpauthUri, TOTP_CODE } from './totp.js';
import { SECRET_PURPOSE, verifySecondFactor } from './verify.js';

const CODES_PURPOSE = 'mfa-pending-backup-codes';
// A set-up left unconfirmed expires (auth-api.md OP-15).
const PENDING_TTL_MS = 10 * 60_000;

export interface MfaEnrolment {
  secret: string;
  qrCodeUrl: string;
  qrCode: string;
  backupCodes: string[];
}

/**
 * A15: re-authenticate with the password (ASVS 7.5.1), then store a *pending* secret (sealed) and a
 * set of backup codes; nothing is active until A16 proves the authenticator works.
 */
export async function enableMfa(ctx: AppContext, user: UsersTable, password: string, meta: RequestMeta): Promise<MfaEnrolment> {
  if (user.mfa_enabled) throw new AppError('auth/mfa-already-enabled', 'MFA is already enabled');
  await assertPassword(ctx, user, password, meta);
  const secret = generateTotpSecret();
  const backupCodes = generateBackupCodes();
  const now = ctx.clock.now();
  const stored = await upsertPendingTotp(ctx.db, {
    user_id: user.id,
    secret_sealed: ctx.sealer.seal(SECRET_PURPOSE, secret),
    status: 'pending',
    pending_codes_sealed: ctx.sealer.seal(CODES_PURPOSE, JSON.stringify(backupCodes)),
    pending_expires_at: now + PENDING_TTL_MS,
    last_used_step: null,
    created_at: now,
    confirmed_at: null,
  });
  // An A16 finished after the check above: the same answer as that check.
  if (!stored) throw new AppError('auth/mfa-already-enabled', 'MFA is already enabled');
  const qrCodeUrl = otpauthUri(secret, ctx.config.mfa.issuer, user.email);
  // decisions.md §5: the URI and a rendered PNG of it, so clients need no QR library.
  const qrCode = await QRCode.toDataURL(qrCodeUrl, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
  return { secret, qrCodeUrl, qrCode, backupCodes };
}

/** A16: the first code from the pending secret activates MFA; backup codes are hashed from now on. */
export async function confirmMfa(ctx: AppContext, user: UsersTable, rawCode: string, meta: RequestMeta): Promise<{ backupCodes: string[] }> {
  if (user.mfa_enabled) throw new AppError('auth/mfa-already-enabled', 'MFA is already enabled');
  const pending = await findTotp(ctx.db, user.id);
  const now = ctx.clock.now();
  if (!pending || pending.status !== 'pending' || !pending.pending_codes_sealed || (pending.pending_expires_at ?? 0) <= now) {
    throw new AppError('auth/mfa-setup-expired', 'No MFA set-up is pending, or it expired; call /v1/auth/mfa/enable again');
  }
  await ctx.limiter.consume('mfaAttemptsPerUser', user.id);
  const code = normalizeSecondFactorCode(rawCode);
  const step = TOTP_CODE.test(code) ? matchTotpStep(ctx.sealer.open(SECRET_PURPOSE, pending.secret_sealed), code, now) : null;
  if (step === null) throw new AppError('auth/invalid-mfa-code', 'The authentication code is not valid');
  const backupCodes = JSON.parse(ctx.sealer.open(CODES_PURPOSE, pending.pending_codes_sealed)) as string[];
  const hashes = await Promise.all(backupCodes.map((code) => ctx.passwords.hash(code)));
  await ctx.db.transaction().execute(async (trx) => {
    // The confirming code's step is recorded as used, so it cannot sign in a second time.
    if (!(await activateTotp(trx, user.id, step, now))) throw new AppError('auth/mfa-setup-expired', 'The MFA set-up changed; start again');
    await insertBackupCodes(trx, hashes.map((hash) => ({ id: uuidv7(now), user_id: user.id, code_hash: hash, used_at: null, created_at: now })));
    await updateUser(trx, user.id, { mfa_enabled: 1, updated_at: now });
    await recordAudit(ctx, { event: 'mfa.enabled', userId: user.id, actor: 'user', meta }, trx);
  });
  ctx.limiter.reset('mfaAttemptsPerUser', user.id).catch(() => {});
  ctx.cache.forgetUser(user.id);
  return { backupCodes };
}

/** A17: password and (by default, OP-16) a current TOTP or backup code; secret and codes are deleted. */
export async function disableMfa(ctx: AppContext, user: UsersTable, password: string, code: string | undefined, meta: RequestMeta): Promise<void> {
  if (!user.mfa_enabled) throw new AppError('auth/mfa-not-enabled', 'MFA is not enabled');
  await assertPassword(ctx, user, password, meta);
  if (code === undefined || code.trim() === '') {
    if (ctx.config.mfa.disableRequiresCode) {
      throw new AppError('auth/validation-error', 'code is required to disable MFA', { fields: [{ field: 'code', message: 'is required' }] });
    }
  } else {
    await verifySecondFactor(ctx, user.id, code, meta);
  }
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await deleteMfaOfUser(trx, user.id);
    await updateUser(trx, user.id, { mfa_enabled: 0, updated_at: now });
    await recordAudit(ctx, { event: 'mfa.disabled', userId: user.id, actor: 'user', meta }, trx);
  });
  ctx.cache.forgetUser(user.id);
}

/**
 * Re-authentication for MFA changes. Users without a password (social only) set one first through
 * the reset flow (auth-api.md OP-17). Wrong passwords count against the same per-user MFA budget, so
 * a stolen access token is not a free password oracle.
 */
async function assertPassword(ctx: AppContext, user: UsersTable, password: string, meta: RequestMeta): Promise<void> {
  // Spent before the check and given back when it passes (Limiters.consume).
  await ctx.limiter.consume('mfaAttemptsPerUser', user.id);
  const ok = user.password_hash ? await ctx.passwords.verify(user.password_hash, password) : await ctx.passwords.verifyDummy(password);
  if (!ok) {
    await recordAudit(ctx, { event: 'mfa.reauth_failed', outcome: 'failure', userId: user.id, actor: 'user', meta });
    throw new AppError('auth/invalid-credentials', 'Password is incorrect');
  }
  await ctx.limiter.refund('mfaAttemptsPerUser', user.id);
}
