import { AppError } from '../errors/app-error.js';

const MAX_EMAIL = 254;
// Pragmatic address syntax: one @, no spaces or control characters, a dot in the domain.
// Format characters (bidi overrides such as U+202E, zero-width joiners) would make an address display
// as another one: refused.
const EMAIL = /^[^\s@\p{Cc}\p{Cf}]+@[^\s@\p{Cc}\p{Cf}]+\.[^\s@\p{Cc}\p{Cf}]+$/u;

/** Trim for storage and display, lowercase for lookup and uniqueness (auth-api.md OP-33). */
export function parseEmail(raw: string): { email: string; normalized: string } {
  const email = raw.trim().normalize('NFC');
  if (email.length === 0 || email.length > MAX_EMAIL || !EMAIL.test(email)) {
    throw new AppError('auth/invalid-email', 'Email address is not valid');
  }
  return { email, normalized: email.toLowerCase() };
}
