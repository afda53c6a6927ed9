import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';

/** A field that one variant of a body needs (e.g. `password` for method "password"). */
export function requireString(value: unknown, field: string, code: ErrorCode = 'auth/validation-error'): string {
  if (typeof value !== 'string') {
    throw new AppError(code, `${field} is required`, { fields: [{ field, message: 'is required' }] });
  }
  return value;
}
