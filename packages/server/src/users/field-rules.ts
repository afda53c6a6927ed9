import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import { ROLES, type Role } from './create-user.js';

/**
 * Validation rules of auth-api.md §7 (U02, U04, U08, U12–U19). Each parser takes what the client
 * sent and returns the value to store, or throws the documented code with the field named.
 * Lengths are counted in code points after NFC, like names at sign-up.
 */

function fail(code: ErrorCode, field: string, message: string): never {
  throw new AppError(code, `${field} ${message}`, { fields: [{ field, message }] });
}

function invalid(field: string, message: string): never {
  fail('common/invalid-parameters', field, message);
}

function length(text: string): number {
  return [...text].length;
}

/** `name`: 1–100 characters, never null (user/invalid-name). */
export function parseUserName(value: unknown): string {
  if (typeof value !== 'string') fail('user/invalid-name', 'name', 'must be a string of 1–100 characters');
  const name = value.trim().normalize('NFC');
  if (length(name) < 1 || length(name) > 100) fail('user/invalid-name', 'name', 'must be 1–100 characters');
  return name;
}

/** `nickname`: 1–50 characters or null (user/invalid-nickname); not unique (§7 [P]). */
export function parseNickname(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') fail('user/invalid-nickname', 'nickname', 'must be a string of 1–50 characters or null');
  const nickname = value.trim().normalize('NFC');
  if (length(nickname) < 1 || length(nickname) > 50) fail('user/invalid-nickname', 'nickname', 'must be 1–50 characters');
  return nickname;
}

export function parseRole(value: unknown): Role {
  if (typeof value !== 'string' || !ROLES.includes(value as Role)) fail('user/invalid-role', 'role', 'must be admin, user or guest');
  return value as Role;
}

/**
 * `mobile`: E.164 (`+`, country code, at most 15 digits), ≤ 20 characters as sent. Spaces, dots,
 * dashes and parentheses are accepted as separators and stored without them.
 */
export function parseMobile(value: string | null): string | null {
  if (value === null) return null;
  if (length(value) > 20) invalid('mobile', 'must be at most 20 characters');
  const compact = value.replace(/[\s().-]/g, '');
  if (!/^\+[1-9][0-9]{0,14}$/.test(compact)) invalid('mobile', 'must be an E.164 number such as +821012345678');
  return compact;
}

export const GENDERS = ['none', 'male', 'female', 'etc'] as const;

export function parseBio(value: string | null): string | null {
  if (value === null) return null;
  const bio = value.normalize('NFC');
  if (length(bio) > 500) invalid('bio', 'must be at most 500 characters');
  return bio;
}

export const SOCIAL_KEYS = ['github', 'twitter', 'linkedin'] as const;
export type SocialKey = (typeof SOCIAL_KEYS)[number];

/** A social link: an absolute http(s) URL of at most 2048 characters, or null. */
export function parseSocialLink(key: SocialKey, value: unknown): string | null {
  if (value === null) return null;
  const field = `socialLinks.${key}`;
  if (typeof value !== 'string') invalid(field, 'must be an http(s) URL or null');
  const text = value.trim();
  if (text.length > 2048) invalid(field, 'must be at most 2048 characters');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    invalid(field, 'must be an http(s) URL');
  }
  // Only http(s): a `javascript:` or `data:` link rendered by a client would run script.
  if (url.protocol !== 'http:' && url.protocol !== 'https:') invalid(field, 'must be an http(s) URL');
  return text;
}

/** `locale`: a BCP-47 tag of at most 35 characters, stored in canonical case (`en-us` → `en-US`). */
export function parseLocale(value: string | null): string | null {
  if (value === null) return null;
  if (value.length < 2 || value.length > 35) invalid('locale', 'must be a BCP-47 language tag');
  try {
    return Intl.getCanonicalLocales(value)[0];
  } catch {
    invalid('locale', 'must be a BCP-47 language tag');
  }
}

/** `timezone`: an IANA zone name the runtime knows (e.g. `Asia/Seoul`, `UTC`); no raw offsets. */
export function parseTimezone(value: string | null): string | null {
  if (value === null) return null;
  if (value.length > 64 || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(value)) invalid('timezone', 'must be an IANA time zone name');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return value;
  } catch {
    invalid('timezone', 'must be an IANA time zone name');
  }
}

export const THEMES = ['light', 'dark', 'system'] as const;
export const ONBOARDING_STATUSES = ['pending', 'in_progress', 'completed', 'skipped'] as const;
const ONBOARDING_DATA_MAX_BYTES = 16 * 1024;

export function parseOnboardingStep(value: string | null): string | null {
  if (value === null) return null;
  if (length(value) > 100) invalid('step', 'must be at most 100 characters');
  return value;
}

/** `data`: a JSON object of at most 16 KB serialized, or null (OP-29). */
export function parseOnboardingData(value: Record<string, unknown> | null): string | null {
  if (value === null) return null;
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json, 'utf8') > ONBOARDING_DATA_MAX_BYTES) invalid('data', 'must be at most 16 KB of JSON');
  return json;
}

/** `slug`: 3–30 of `[a-z0-9-]`, no leading/trailing dash (OP-30); trimmed and lower-cased first. */
export function parseSlug(value: string | null): string | null {
  if (value === null) return null;
  const slug = value.trim().toLowerCase();
  if (slug.length < 3 || slug.length > 30 || !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(slug)) {
    invalid('slug', 'must be 3–30 characters of a-z, 0-9 and -, not starting or ending with -');
  }
  return slug;
}
