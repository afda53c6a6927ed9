import { randomInt } from 'node:crypto';

// auth-api.md OP-14: 10 codes of 8 characters [a-z0-9] (≈ 41 bits each, ASVS 6.5.2 ≥ 20 bits),
// single use, stored as argon2id hashes.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const BACKUP_CODE_COUNT = 10;
export const BACKUP_CODE = /^[a-z0-9]{8}$/;

export function generateBackupCodes(): string[] {
  return Array.from({ length: BACKUP_CODE_COUNT }, () => Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join(''));
}

/** Codes are typed by people: spaces and dashes are ignored, letters folded to lower case. */
export function normalizeSecondFactorCode(raw: string): string {
  return raw.replace(/[\s-]/g, '').toLowerCase();
}
