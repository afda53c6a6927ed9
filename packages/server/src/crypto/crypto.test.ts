import { describe, expect, it } from 'vitest';
import { sha256Hex, safeEqual } from './digest.js';
import { pooledRandomBytes, uuidv7 } from './random.js';

describe('uuidv7 (RFC 9562 §5.7)', () => {
  it('carries the millisecond time big-endian in its first 48 bits, version 7 and variant 10', () => {
    const now = Date.UTC(2031, 4, 6, 7, 8, 9, 123);
    const id = uuidv7(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
    expect(uuidv7(0).startsWith('00000000-0000-7')).toBe(true);
    expect(parseInt(uuidv7(2 ** 48 - 1).replace(/-/g, '').slice(0, 12), 16)).toBe(2 ** 48 - 1);
  });

  it('sorts by time and never repeats', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('pooled randomness', () => {
  it('never hands out the same bytes twice', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => pooledRandomBytes(16).toString('hex')));
    expect(seen.size).toBe(1000);
  });
});

describe('digests', () => {
  it('sha256Hex is SHA-256 of the UTF-8 text', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // UTF-8, not Latin-1 (which would hash the single byte 0xe9).
    expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });

  it('safeEqual compares whole strings', () => {
    expect(safeEqual('secret', 'secret')).toBe(true);
    expect(safeEqual('secret', 'secreT')).toBe(false);
    expect(safeEqual('secret', 'secret ')).toBe(false);
  });
});
