import { Algorithm, hash, verify } from '@node-rs/argon2';
import type { PasswordHashParams } from '../config/load-config.js';

/** Argon2id (ASVS 6.2, OWASP Password Storage): the only password hash Latch writes. */
export class PasswordHasher {
  private dummy?: Promise<string>;

  constructor(private readonly params: PasswordHashParams) {}

  hash(password: string): Promise<string> {
    return hash(password.normalize('NFC'), {
      algorithm: Algorithm.Argon2id,
      memoryCost: this.params.memoryCost,
      timeCost: this.params.timeCost,
      parallelism: this.params.parallelism,
    });
  }

  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, password.normalize('NFC'));
    } catch {
      return false;
    }
  }

  /**
   * Verify against a hash made with the current parameters, for an unknown email or a user without
   * a password, so a miss costs the same time as a hit (no enumeration by timing, ASVS 6.3.x).
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.hash('latch-dummy-password-for-timing');
    await this.verify(await this.dummy, password);
    return false;
  }

  /** Re-hash on sign-in when the stored hash was made with other parameters. */
  needsRehash(stored: string): boolean {
    const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored);
    if (!match) return true;
    return (
      Number(match[1]) !== this.params.memoryCost ||
      Number(match[2]) !== this.params.timeCost ||
      Number(match[3]) !== this.params.parallelism
    );
  }
}
