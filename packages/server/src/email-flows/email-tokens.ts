import type { AppContext } from '../context.js';
import { sha256Hex } from '../crypto/digest.js';
import { randomToken } from '../crypto/random.js';
import type { Db } from '../db/transaction.js';
import { findEmailToken, replaceEmailChangeToken, replaceEmailToken } from './queries.js';
import type { EmailTokenPurpose, EmailTokensTable } from './tables.js';

/** 32 CSPRNG bytes, base64url (auth-api.md §8.1 [P]); anything else is refused before a lookup. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const MINUTE = 60_000;

export interface IssueTokenInput {
  purpose: EmailTokenPurpose;
  email: string;
  emailNormalized: string;
  userId: string | null;
  name?: string | null;
  ttlMs: number;
  /**
   * An address change (OP-11): the account's other pending changes die with this one's issue too
   * (replaceEmailChangeToken); needs `userId`.
   */
  addressChange?: boolean;
}

/**
 * A new one-time token; the older unused ones of the same purpose and address die in the same
 * transaction ("newest wins", §8.3/§8.4). Only the SHA-256 is stored (ASVS 2.8.x: 256-bit random).
 */
export async function issueEmailToken(ctx: Pick<AppContext, 'db' | 'dialect' | 'clock'>, input: IssueTokenInput): Promise<string> {
  const token = randomToken(32);
  const now = ctx.clock.now();
  const row: EmailTokensTable = {
    token_hash: sha256Hex(token),
    purpose: input.purpose,
    email_normalized: input.emailNormalized,
    email: input.email,
    user_id: input.userId,
    name: input.name ?? null,
    created_at: now,
    expires_at: now + input.ttlMs,
    used_at: null,
  };
  if (input.addressChange) {
    if (row.user_id === null) throw new Error('an address-change token needs the account');
    await replaceEmailChangeToken(ctx.db, ctx.dialect, { ...row, user_id: row.user_id });
  } else {
    await replaceEmailToken(ctx.db, ctx.dialect, row);
  }
  return token;
}

export type TokenLookup =
  | { state: 'unknown' }
  | { state: 'used' | 'expired' | 'live'; row: EmailTokensTable };

export function hashEmailToken(token: string): string | null {
  return TOKEN_PATTERN.test(token) ? sha256Hex(token) : null;
}

/** Where a presented token stands; a malformed one is simply unknown (no lookup). */
export async function lookupEmailToken(db: Db, token: string, purposes: readonly EmailTokenPurpose[], now: number): Promise<TokenLookup> {
  const hash = hashEmailToken(token);
  if (!hash) return { state: 'unknown' };
  return lookupEmailTokenHash(db, hash, purposes, now);
}

export async function lookupEmailTokenHash(db: Db, hash: string, purposes: readonly EmailTokenPurpose[], now: number): Promise<TokenLookup> {
  const row = await findEmailToken(db, hash, purposes);
  if (!row) return { state: 'unknown' };
  if (row.used_at !== null) return { state: 'used', row };
  if (Number(row.expires_at) <= now) return { state: 'expired', row };
  return { state: 'live', row };
}

/** `<base>?a=b` + `token=…`: the existing query and fragment are kept (§8.1 step 3). */
export function appendQuery(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}
