import { AppError } from '../errors/app-error.js';

/** 1–100 characters after trimming (auth-api.md A01, same rule as the profile name). */
export function parseName(raw: string): string {
  const name = raw.trim().normalize('NFC');
  const length = [...name].length;
  if (length < 1 || length > 100) {
    throw new AppError('auth/validation-error', 'name must be 1–100 characters', { fields: [{ field: 'name', message: 'must be 1–100 characters' }] });
  }
  return name;
}
