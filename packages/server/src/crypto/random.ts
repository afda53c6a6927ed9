import { randomBytes } from 'node:crypto';

/** 32 CSPRNG bytes (256 bits) as base64url: refresh tokens and one-time tokens. */
export function randomToken(bytes = 32): string {
  return pooledRandomBytes(bytes).toString('base64url');
}

export function randomHex(bytes = 32): string {
  return pooledRandomBytes(bytes).toString('hex');
}

/**
 * UUIDv7 (RFC 9562 §5.7): time-ordered ids keep B-tree inserts local on both databases.
 * `now` comes from the injected clock so tests stay deterministic in ordering.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = Buffer.from(pooledRandomBytes(16));
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return formatUuid(bytes.toString('hex'));
}

/** 32 hex digits in the 8-4-4-4-12 form. */
export function formatUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Ids (one per request), tokens and IVs draw their randomness from a pooled CSPRNG buffer: one getrandom
// call per 4 KiB instead of one per value (as crypto.randomUUID does internally), which on a VM costs
// more than the hashing around it. Bytes are handed out once and the pool is replaced, never rewound.
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/** `size` fresh CSPRNG bytes; the returned view is never handed out again. */
export function pooledRandomBytes(size: number): Buffer {
  if (size > POOL_SIZE / 4) return randomBytes(size);
  if (offset + size > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + size);
  offset += size;
  return out;
}
