import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { sha256Hex } from '../crypto/digest.js';
import { randomHex, uuidv7 } from '../crypto/random.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import { AppError } from '../errors/app-error.js';
import { findApiKeyByHash, insertApiKey, listApiKeys, revokeApiKey, touchApiKey, type ApiKeyRow } from './queries.js';

export type ApiKeyType = 'publishable' | 'secret';

const PATTERN = /^(pk|sk)_[a-fA-F0-9]{64}$/;
const PREFIX: Record<ApiKeyType, string> = { publishable: 'pk_', secret: 'sk_' };
// last_used_at is informational: write it at most once a minute per key, not on every request.
const TOUCH_INTERVAL_MS = 60_000;

export interface VerifiedKey {
  id: string;
  type: ApiKeyType;
  scopes: string[] | null;
}

/**
 * Whether a key administers the whole server: the secret key without scopes. A secret key with scopes is
 * the admin caller of /v1/data only, within its scopes (data-and-rls.md §2.5); everywhere else (users,
 * invitations, settings, tables, audit, MCP) it is refused (403), because an operator who limited a key to
 * `orders:read` does not expect it to delete users or rewrite the sign-in settings.
 */
export function isAdminKey(key: VerifiedKey | undefined): boolean {
  return key?.type === 'secret' && key.scopes === null;
}

/**
 * For an admin surface reached with a key and no admin user: the secret key with scopes is known but not
 * allowed there (403 `<family>/forbidden`); for any other key undefined (the caller answers its 401).
 */
export function scopedKeyRefusal(
  key: VerifiedKey | undefined,
  family: 'auth' | 'user',
  needs = 'administration needs a secret key without scopes or an admin access token',
): AppError | undefined {
  if (key?.type !== 'secret' || key.scopes === null) return undefined;
  return new AppError(`${family}/forbidden`, `This secret key has scopes, which limit it to /v1/data; ${needs}`);
}

export interface CreateKeyInput {
  type: ApiKeyType;
  name?: string;
  scopes?: string[];
  expiresInDays?: number;
  /** Bootstrap keys come from the environment instead of the CSPRNG. */
  plaintext?: string;
  createdBy?: string | null;
}

/** data-and-rls.md §2.2: 32 CSPRNG bytes as lowercase hex behind the prefix; only SHA-256 is stored. */
export async function createApiKey(ctx: Pick<AppContext, 'db' | 'clock' | 'log'>, input: CreateKeyInput) {
  if (input.scopes && input.scopes.length === 0) {
    throw new AppError('common/invalid-parameters', 'An API key scope list cannot be empty (omit it for an unrestricted key)');
  }
  const key = input.plaintext ?? `${PREFIX[input.type]}${randomHex(32)}`;
  const now = ctx.clock.now();
  const row: ApiKeyRow = {
    id: uuidv7(now),
    name: input.name ?? `${input.type}-key`,
    type: input.type,
    key_hash: sha256Hex(key),
    display_prefix: key.slice(0, 11),
    scopes: input.scopes ? JSON.stringify(input.scopes) : null,
    expires_at: input.expiresInDays ? now + input.expiresInDays * 86_400_000 : null,
    revoked_at: null,
    created_by: input.createdBy ?? null,
    created_at: now,
    last_used_at: null,
  };
  await insertApiKey(ctx.db, row);
  await recordAudit(ctx, { event: 'api_key.created', actor: input.createdBy ?? 'cli', details: { keyId: row.id, type: row.type, prefix: row.display_prefix } });
  return { key, record: publicKeyRecord(row) };
}

/** Ensure a bootstrap key exists (config.md LATCH_BOOTSTRAP_*); a revoked one stays revoked. */
export async function ensureApiKey(ctx: Pick<AppContext, 'db' | 'clock' | 'log'>, type: ApiKeyType, plaintext: string) {
  if (await findApiKeyByHash(ctx.db, sha256Hex(plaintext))) return false;
  try {
    await createApiKey(ctx, { type, name: `bootstrap-${type}`, plaintext });
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false; // another instance inserted it first
    throw error;
  }
}

/** data-and-rls.md §2.4 steps 1–5, in order; the first failure ends the request. */
export async function verifyApiKey(ctx: AppContext, header: string | undefined): Promise<VerifiedKey> {
  if (header === undefined || header === '') throw new AppError('auth/unauthorized', 'X-API-Key header is required');
  if (!PATTERN.test(header)) throw new AppError('auth/invalid-token-format', 'X-API-Key is malformed');
  // Hash the key exactly as received (§2.2): the regex accepts both cases.
  const keyHash = sha256Hex(header);
  const now = ctx.clock.now();
  const row = await ctx.cache.apiKey(keyHash, () => findApiKeyByHash(ctx.db, keyHash));
  // The stored type decides, and a prefix that disagrees with it fails like an unknown key (§2.4).
  if (!row || PREFIX[row.type] !== header.slice(0, 3)) throw new AppError('auth/invalid-token', 'API key is not valid');
  if (row.revoked_at !== null) throw new AppError('auth/invalid-token', 'API key has been revoked');
  if (row.expires_at !== null && row.expires_at <= now) throw new AppError('auth/invalid-token', 'API key has expired');
  if (row.last_used_at === null || now - row.last_used_at > TOUCH_INTERVAL_MS) {
    row.last_used_at = now;
    touchApiKey(ctx.db, row.id, now).catch((error) => ctx.log.warn({ err: error }, 'could not record API key use'));
  }
  return { id: row.id, type: row.type, scopes: row.scopes ? (JSON.parse(row.scopes) as string[]) : null };
}

export async function listKeys(ctx: Pick<AppContext, 'db'>) {
  return (await listApiKeys(ctx.db)).map(publicKeyRecord);
}

export async function revokeKey(ctx: Pick<AppContext, 'db' | 'clock' | 'log'> & { cache?: AppContext['cache'] }, idOrPrefix: string) {
  const revoked = await revokeApiKey(ctx.db, idOrPrefix, ctx.clock.now());
  for (const row of revoked) {
    ctx.cache?.forgetApiKey(row.key_hash);
    await recordAudit(ctx, { event: 'api_key.revoked', actor: 'cli', details: { keyId: row.id } });
  }
  return revoked.length;
}

function publicKeyRecord(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    prefix: row.display_prefix,
    scopes: row.scopes ? (JSON.parse(row.scopes) as string[]) : null,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    expiresAt: row.expires_at ? new Date(row.expires_at).toISOString() : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}
