import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { pooledRandomBytes } from './random.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

function unknownFormat(): Error {
  return new Error('sealed value has an unknown format');
}

/** base64url that re-encodes to itself: one spelling per value (decoders ignore a last character's spare bits). */
function canonical(part: string): Buffer {
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) throw unknownFormat();
  return bytes;
}

/**
 * AES-256-GCM with a key derived from LATCH_SECRET by HKDF, one derived key per purpose, so a
 * value sealed for one use (signing keys) cannot be replayed as another (MFA secrets).
 * Format: v1.<iv>.<tag>.<ciphertext>, base64url parts.
 */
export class Sealer {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly secret: string) {}

  seal(purpose: string, plaintext: string): string {
    const iv = pooledRandomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(purpose), iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(purpose: string, sealed: string): string {
    const parts = sealed.split('.');
    const [version, iv, tag, body] = parts;
    if (parts.length !== 4 || version !== 'v1') throw unknownFormat();
    const ivBytes = canonical(iv!);
    const tagBytes = canonical(tag!);
    const bodyBytes = canonical(body!);
    // A full 16-byte tag only: GCM would verify a truncated one, and 4 bytes are 32 bits of integrity.
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw unknownFormat();
    const decipher = createDecipheriv('aes-256-gcm', this.key(purpose), ivBytes, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(bodyBytes), decipher.final()]).toString('utf8');
  }

  /** A MAC key of its own for `purpose` (e.g. signed upload URLs), never equal to a sealing key. */
  macKey(purpose: string): Buffer {
    return this.key(`mac:${purpose}`);
  }

  private key(purpose: string): Buffer {
    let key = this.keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.secret, 'latch', `latch:${purpose}`, 32));
      this.keys.set(purpose, key);
    }
    return key;
  }
}
