import { AppError } from '../errors/app-error.js';

const MAX_EMAIL = 254;
// Pragmatic address syntax: one @, no spaces or control characters, a dot in the domain.
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;

/** Trim for storage and display, lowercase for lookup and uniqueness (auth-api.md OP-33). */
export function parseEmail(raw: string): { email: string; normalized: string } {
  const email = raw.trim().normalize('NFC');
  if (email.length === 0 || email.length > MAX_EMAIL || !EMAIL.test(email)) {
    throw new AppError('auth/invalid-email', 'Email address is not valid');
  }
  return { email, normalized: email.toLowerCase() };
}
