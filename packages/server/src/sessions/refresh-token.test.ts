import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../crypto/random.js';
import { MAX_GENERATION, mintRefreshToken, readRefreshToken } from './refresh-token.js';

const key = randomBytes(32);
const sid = uuidv7();

function flip(token: string, byteIndex: number): string {
  const bytes = Buffer.from(token, 'base64url');
  bytes[byteIndex] ^= 0x01;
  return bytes.toString('base64url');
}

describe('refresh token format', () => {
  it('names its session and generation, and carries 256 fresh random bits', () => {
    const a = mintRefreshToken(key, sid, 7);
    const b = mintRefreshToken(key, sid, 7);
    expect(a).toMatch(/^[A-Za-z0-9_-]{92}$/);
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64url').subarray(21, 53).equals(Buffer.from(b, 'base64url').subarray(21, 53))).toBe(false);
    expect(readRefreshToken(key, a)).toEqual({ sessionId: sid, generation: 7 });
    expect(readRefreshToken(key, mintRefreshToken(key, sid, MAX_GENERATION))).toEqual({ sessionId: sid, generation: MAX_GENERATION });
  });

  it('refuses a token whose any byte was changed, or that another key made', () => {
    const token = mintRefreshToken(key, sid, 3);
    for (let i = 0; i < 69; i++) expect(readRefreshToken(key, flip(token, i)), `byte ${i}`).toBeNull();
    expect(readRefreshToken(randomBytes(32), token)).toBeNull();
  });

  it('refuses other shapes without throwing', () => {
    const token = mintRefreshToken(key, sid, 0);
    for (const bad of ['', token.slice(1), `${token}A`, token.replace(/.$/, '='), randomBytes(32).toString('base64url'), 'é'.repeat(92), `${token.slice(0, 91)}+`]) {
      expect(readRefreshToken(key, bad)).toBeNull();
    }
  });

  it('is minted only for UUID session ids', () => {
    expect(() => mintRefreshToken(key, 'not-a-uuid', 0)).toThrow();
  });
});
