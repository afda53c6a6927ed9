import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { pooledRandomBytes } from './random.js';

/**
 * AES-256-GCM with a key derived from LATCH_SECRET by HKDF, one derived key per purpose, so a
 * value sealed for one use (signing keys) cannot be replayed as another (MFA secrets).
 * Format: v1.<iv>.<tag>.<ciphertext>, base64url parts.
 */
export class Sealer {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly secret: string) {}

  seal(purpose: string, plaintext: string): string {
    const iv = pooledRandomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(purpose), iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(purpose: string, sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('sealed value has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key(purpose), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
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
