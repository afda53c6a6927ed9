import { dictionary } from '@zxcvbn-ts/language-common';
import { AppError } from '../errors/app-error.js';
import type { PasswordPolicy } from './email-settings.js';

export const MAX_PASSWORD_LENGTH = 128;

// The maintained common-password list of zxcvbn-ts (~49k entries), bundled: no network (OP-37).
const COMMON = new Set<string>((dictionary.passwords as string[]).map((p) => p.toLowerCase()));

export type PasswordRule = 'minLength' | 'maxLength' | 'uppercase' | 'lowercase' | 'number' | 'special';

/** Each failed rule of auth-api.md §5, in a fixed order; length in code points after NFC. */
export function failedPasswordRules(password: string, policy: PasswordPolicy): PasswordRule[] {
  const normalized = password.normalize('NFC');
  const length = [...normalized].length;
  const failed: PasswordRule[] = [];
  if (length < policy.minLength) failed.push('minLength');
  if (length > MAX_PASSWORD_LENGTH) failed.push('maxLength');
  if (policy.requireUppercase && !/\p{Lu}/u.test(normalized)) failed.push('uppercase');
  if (policy.requireLowercase && !/\p{Ll}/u.test(normalized)) failed.push('lowercase');
  if (policy.requireNumbers && !/\p{Nd}/u.test(normalized)) failed.push('number');
  if (policy.requireSpecialChars && !/[^\p{L}\p{Nd}\s]/u.test(normalized)) failed.push('special');
  return failed;
}

const RULE_TEXT: Record<PasswordRule, (p: PasswordPolicy) => string> = {
  minLength: (p) => `at least ${p.minLength} characters`,
  maxLength: () => `at most ${MAX_PASSWORD_LENGTH} characters`,
  uppercase: () => 'an uppercase letter',
  lowercase: () => 'a lowercase letter',
  number: () => 'a digit',
  special: () => 'a special character',
};

/** The policy first, then the common-password list (§5: the list check runs only once the policy passes). */
export function assertPasswordAcceptable(password: string, policy: PasswordPolicy): void {
  const rules = failedPasswordRules(password, policy);
  if (rules.length > 0) {
    throw new AppError('auth/invalid-password-format', `Password needs ${rules.map((r) => RULE_TEXT[r](policy)).join(', ')}`, { rules });
  }
  if (policy.checkCommonPasswords && isCommonPassword(password)) {
    throw new AppError('auth/weak-password', 'This password is too common; choose another');
  }
}

export function isCommonPassword(password: string): boolean {
  const lower = password.normalize('NFC').toLowerCase();
  if (COMMON.has(lower)) return true;
  // "Password1!" style: a common word dressed up with the required classes is still common.
  const core = lower.replace(/[^\p{L}\p{Nd}]+$/u, '').replace(/\d+$/, '');
  return core.length >= 4 && core !== lower && COMMON.has(core);
}
