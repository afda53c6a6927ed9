import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/**
 * Tokens with ≥ 256 bits of entropy are stored as SHA-256: a fast hash is enough for them
 * (no dictionary to attack) and keeps the lookup an indexed equality.
 */
export function sha256Hex(value: string): string {
  // One-shot: no Hash object per call (every request hashes its API key).
  return hash('sha256', value, 'hex');
}

export function hmacHex(key: string | Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/** Constant-time string comparison (ASVS 11.2): lengths are compared on digests, never early-exit. */
export function safeEqual(a: string, b: string): boolean {
  const da = hash('sha256', a, 'buffer');
  const db = hash('sha256', b, 'buffer');
  return timingSafeEqual(da, db) && a.length === b.length;
}

/** Constant-time comparison of two digests in hex (equal length unless one is malformed). */
export function safeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}
