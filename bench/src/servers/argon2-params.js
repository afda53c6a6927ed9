// Latch's argon2id parameters as the driver passes them (BENCH_ARGON2), for the ceiling and the floor.
import { Algorithm, hash } from '@node-rs/argon2';

export function parseParams(text = 'argon2id:m=19456,t=2,p=1') {
  const match = /^argon2id:m=(\d+),t=(\d+),p=(\d+)$/.exec(text);
  if (!match) throw new Error(`bad argon2 parameters "${text}"`);
  return { algorithm: Algorithm.Argon2id, memoryCost: Number(match[1]), timeCost: Number(match[2]), parallelism: Number(match[3]) };
}

/** The stored hash every verification checks against. */
export function storedHash(password, params) {
  return hash(password.normalize('NFC'), params);
}
