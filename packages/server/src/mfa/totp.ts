import { randomBytes } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';
import { safeEqual } from '../crypto/digest.js';

// RFC 6238 with the parameters every authenticator app supports (auth-api.md §8.5, OP-15):
// SHA-1, 30-second steps, 6 digits, ±1 step of clock drift.
const PERIOD_MS = 30_000;
const DIGITS = 6;
const DRIFT_STEPS = 1;

/** 160-bit secret (RFC 4226 §4 recommends ≥ 160 bits), Base32 for manual entry (32 characters). */
export function generateTotpSecret(): string {
  return new Secret({ buffer: randomBytes(20).buffer }).base32;
}

/** The `otpauth://totp/<issuer>:<account>?secret=…&issuer=…` URI authenticator apps scan (A15). */
export function otpauthUri(secret: string, issuer: string, account: string): string {
  return new TOTP({ issuer, label: account, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_MS / 1000, secret: Secret.fromBase32(secret) }).toString();
}

export function stepAt(now: number): number {
  return Math.floor(now / PERIOD_MS);
}

export function totpCodeAt(secret: string, step: number): string {
  return HOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: DIGITS, counter: step });
}

/**
 * The step whose code equals `code`, within ±1 step of `now`, or null. Every candidate is compared
 * in constant time so the position of a match is not observable (ASVS 11.2).
 */
export function matchTotpStep(secret: string, code: string, now: number): number | null {
  const current = stepAt(now);
  let matched: number | null = null;
  for (let delta = -DRIFT_STEPS; delta <= DRIFT_STEPS; delta++) {
    if (safeEqual(totpCodeAt(secret, current + delta), code) && matched === null) matched = current + delta;
  }
  return matched;
}

export const TOTP_CODE = /^\d{6}$/;
