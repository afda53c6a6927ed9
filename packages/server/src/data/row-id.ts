import { randomBytes } from 'node:crypto';

let lastMs = 0;
let lastRandom = 0n;

/**
 * Row ids (§7.2): 24 lowercase hex characters like bkend's ObjectIds — 48 bits of milliseconds, then
 * 48 random bits — so the default `id desc` order is newest first. Within one millisecond the random part
 * counts up, keeping ids monotonic in this process (a batch keeps its input order).
 */
export function newRowId(now: number): string {
  let random: bigint;
  if (now <= lastMs) {
    now = lastMs;
    random = lastRandom + 1n;
  } else {
    random = BigInt(`0x${randomBytes(6).toString('hex')}`) & 0x7fffffffffffn; // headroom for counting up
  }
  lastMs = now;
  lastRandom = random;
  return now.toString(16).padStart(12, '0').slice(-12) + random.toString(16).padStart(12, '0').slice(-12);
}
