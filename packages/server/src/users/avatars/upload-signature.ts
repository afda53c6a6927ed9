import type { AppContext } from '../../context.js';
import { hmacHex, safeEqual } from '../../crypto/digest.js';

// A MAC key derived from LATCH_SECRET for this one purpose (decisions.md §6), so an upload
// signature can never be confused with any other value Latch signs or seals.
const PURPOSE = 'avatar-upload-url';
const SIGNATURE = /^[0-9a-f]{64}$/;

function payload(key: string, expiresAtSeconds: number): string {
  return `PUT\n${key}\n${expiresAtSeconds}`;
}

/** HMAC-SHA256 over method, key and expiry: changing any of them breaks the signature. */
export function signUpload(ctx: Pick<AppContext, 'sealer'>, key: string, expiresAtSeconds: number): string {
  return hmacHex(ctx.sealer.macKey(PURPOSE), payload(key, expiresAtSeconds));
}

export function verifyUploadSignature(ctx: Pick<AppContext, 'sealer'>, key: string, expiresAtSeconds: number, signature: string): boolean {
  if (!SIGNATURE.test(signature)) return false;
  // Constant-time comparison (ASVS 11.2.1).
  return safeEqual(signUpload(ctx, key, expiresAtSeconds), signature);
}
