import type { ErrorCode } from '../errors/codes.js';

export type Family = 'auth' | 'users' | 'data' | 'admin' | 'other';

export function familyOf(url: string): Family {
  if (url.startsWith('/v1/auth')) return 'auth';
  if (url.startsWith('/v1/users')) return 'users';
  if (url.startsWith('/v1/data')) return 'data';
  if (url.startsWith('/v1/admin')) return 'admin';
  return 'other';
}

/** The validation code of each route family (decisions.md §3). */
export function validationCode(url: string): ErrorCode {
  const family = familyOf(url);
  if (family === 'auth') return 'auth/validation-error';
  if (family === 'data') return 'data/validation-error';
  return 'common/invalid-parameters';
}

export function rateLimitCode(url: string): ErrorCode {
  return familyOf(url) === 'data' ? 'data/rate-limit-exceeded' : 'auth/too-many-requests';
}
