import { describe, expect, it } from 'vitest';
import { keySchedule, RETIREMENT_GRACE_MS, type KeyRow } from './key-schedule.js';

const HOUR = 3_600_000;
const row = (kid: string, created: number, activates: number | null = null, retired: number | null = null): KeyRow => ({
  kid,
  created_at: created,
  activates_at: activates,
  retired_at: retired,
});
const statuses = (rows: KeyRow[], now: number, ttl = HOUR) => Object.fromEntries(keySchedule(rows, now, ttl).map((k) => [k.kid, k.status]));

describe('keySchedule', () => {
  it('one key signs and verifies with no end', () => {
    expect(keySchedule([row('a', 0)], 5, HOUR)).toEqual([{ kid: 'a', status: 'signing', signsFrom: 0, verifiesUntil: null }]);
  });

  it('a rotation: the new key is published before its turn, then signs; the old one verifies for a token lifetime and a grace, then retires', () => {
    const rows = [row('old', 0), row('new', 100, 110)];
    expect(statuses(rows, 105)).toEqual({ old: 'signing', new: 'next' });
    expect(statuses(rows, 110)).toEqual({ old: 'verifying', new: 'signing' });
    expect(keySchedule(rows, 110, HOUR)[0]).toMatchObject({ kid: 'old', verifiesUntil: 110 + HOUR + RETIREMENT_GRACE_MS });
    expect(statuses(rows, 110 + HOUR + RETIREMENT_GRACE_MS - 1)).toEqual({ old: 'verifying', new: 'signing' });
    expect(statuses(rows, 110 + HOUR + RETIREMENT_GRACE_MS)).toEqual({ old: 'retired', new: 'signing' });
  });

  it('each verifier uses its own longest token lifetime (a shell with other settings cannot cut the server short)', () => {
    const rows = [row('old', 0), row('new', 100, 110)];
    expect(statuses(rows, 110 + 1.5 * HOUR, 2 * HOUR)).toEqual({ old: 'verifying', new: 'signing' });
    expect(statuses(rows, 110 + 1.5 * HOUR, HOUR)).toEqual({ old: 'retired', new: 'signing' });
  });

  it('two keys with the same turn (two rotations at once) are ordered by kid, the same everywhere', () => {
    const rows = [row('k2', 100, 110), row('old', 0), row('k1', 100, 110)];
    expect(statuses(rows, 120)).toEqual({ old: 'verifying', k1: 'verifying', k2: 'signing' });
    expect(statuses([...rows].reverse(), 120)).toEqual({ old: 'verifying', k1: 'verifying', k2: 'signing' });
  });

  it('the signing key retired (leaked): nothing signs until a replacement; the one before keeps its window; the leaked key verifies nothing', () => {
    const rows = [row('old', 0), row('leaked', 100, 110, 200)];
    expect(statuses(rows, 199)).toEqual({ old: 'verifying', leaked: 'signing' });
    expect(statuses(rows, 200)).toEqual({ old: 'verifying', leaked: 'retired' });
    expect(statuses([...rows, row('fresh', 200)], 200)).toEqual({ old: 'verifying', leaked: 'retired', fresh: 'signing' });
  });

  it('a key retired before its turn (a rotation called off) takes no turn: the current key goes on signing', () => {
    const rows = [row('current', 0), row('called-off', 100, 110, 105)];
    expect(statuses(rows, 200)).toEqual({ current: 'signing', 'called-off': 'retired' });
    expect(keySchedule(rows, 200, HOUR).find((k) => k.kid === 'current')!.verifiesUntil).toBeNull();
  });

  it('a key without an activation time has started, even for a clock behind its creator\'s', () => {
    expect(statuses([row('only', 1_000)], 990)).toEqual({ only: 'signing' });
    expect(statuses([row('old', 0), row('fresh', 1_000)], 990)).toEqual({ old: 'verifying', fresh: 'signing' });
  });

  it('keys from before activation times start at their creation', () => {
    expect(statuses([row('a', 0), row('b', 50)], 60)).toEqual({ a: 'verifying', b: 'signing' });
  });
});
