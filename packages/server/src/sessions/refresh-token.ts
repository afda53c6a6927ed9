import { createHmac, timingSafeEqual } from 'node:crypto';
import { formatUuid, pooledRandomBytes } from '../crypto/random.js';

/**
 * Refresh token format (decisions.md §2; src/sessions/DECISIONS.md): base64url of
 *   version (1) ‖ session id (16, the UUID's bytes) ‖ generation (4, big-endian) ‖ nonce (32) ‖ tag (16)
 * where the tag is HMAC-SHA256 of everything before it under a key derived from LATCH_SECRET, cut to
 * 128 bits. Only the SHA-256 of the current token is stored. The nonce gives the token its 256 random
 * bits; the tag lets the server recognise an *earlier* token of a session (reuse detection) without
 * keeping a row per rotated token, and lets it refuse forged or mangled tokens before any query.
 */
const VERSION = 1;
const NONCE_BYTES = 32;
const TAG_BYTES = 16;
const ID_AT = 1;
const GENERATION_AT = ID_AT + 16;
const NONCE_AT = GENERATION_AT + 4;
const SIGNED_BYTES = NONCE_AT + NONCE_BYTES;
const TOKEN_BYTES = SIGNED_BYTES + TAG_BYTES;
const TOKEN_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((TOKEN_BYTES * 4) / 3)}}$`);
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// The last generation a session can reach: sessions.refresh_generation is a signed 32-bit integer on
// PostgreSQL, so a chain ends (401, sign in again) before the counter would overflow the column.
export const MAX_GENERATION = 0x7fff_ffff;

export interface RefreshTokenClaims {
  sessionId: string;
  generation: number;
}

export function mintRefreshToken(key: Buffer, sessionId: string, generation: number): string {
  if (!UUID_PATTERN.test(sessionId)) throw new Error('refresh tokens are minted for UUID session ids');
  const bytes = Buffer.allocUnsafe(TOKEN_BYTES);
  bytes[0] = VERSION;
  bytes.write(sessionId.replaceAll('-', ''), ID_AT, 16, 'hex');
  bytes.writeUInt32BE(generation, GENERATION_AT);
  pooledRandomBytes(NONCE_BYTES).copy(bytes, NONCE_AT);
  tag(key, bytes).copy(bytes, SIGNED_BYTES);
  return bytes.toString('base64url');
}

/** The session and generation a token was minted for, or null when it is not a token this server made. */
export function readRefreshToken(key: Buffer, token: string): RefreshTokenClaims | null {
  if (!TOKEN_PATTERN.test(token)) return null;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== TOKEN_BYTES || bytes[0] !== VERSION) return null;
  if (!timingSafeEqual(tag(key, bytes), bytes.subarray(SIGNED_BYTES))) return null;
  return { sessionId: formatUuid(bytes.toString('hex', ID_AT, GENERATION_AT)), generation: bytes.readUInt32BE(GENERATION_AT) };
}

function tag(key: Buffer, bytes: Buffer): Buffer {
  return createHmac('sha256', key).update(bytes.subarray(0, SIGNED_BYTES)).digest().subarray(0, TAG_BYTES);
}
