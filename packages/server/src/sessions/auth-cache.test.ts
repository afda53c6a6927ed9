import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/helpers/clock.js';
import type { ApiKeyRow } from '../api-keys/queries.js';
import { AuthCache } from './auth-cache.js';

const row = { id: 'k1', type: 'publishable' } as ApiKeyRow;

describe('AuthCache', () => {
  it('keeps a found key for the TTL, then reloads it', async () => {
    const clock = new ManualClock();
    const cache = new AuthCache(clock, 5000);
    let loads = 0;
    const load = async () => (loads++, row);
    await cache.apiKey('h', load);
    await cache.apiKey('h', load);
    expect(loads).toBe(1);
    clock.advance(5000);
    await cache.apiKey('h', load);
    expect(loads).toBe(2);
  });

  it('never caches a miss, so a key created a moment ago works at once', async () => {
    const cache = new AuthCache(new ManualClock(), 5000);
    expect(await cache.apiKey('h', async () => undefined)).toBeUndefined();
    expect(await cache.apiKey('h', async () => row)).toBe(row);
  });

  it('forgets every cached session of a user at once and publishes the invalidation', async () => {
    const cache = new AuthCache(new ManualClock(), 60_000);
    const published: unknown[] = [];
    const apply = cache.attachBus((message) => published.push(message));
    const session = (id: string) => ({ session: { id, userId: 'u1', revokedAt: null, expiresAt: 1e15, lastActivityAt: 0, orgId: null }, user: undefined });
    let loads = 0;
    await cache.session('s1', async () => (loads++, session('s1')));
    await cache.session('s2', async () => (loads++, session('s2')));
    cache.forgetUser('u1');
    expect(published).toEqual([{ kind: 'user', id: 'u1' }]);
    await cache.session('s1', async () => (loads++, session('s1')));
    await cache.session('s2', async () => (loads++, session('s2')));
    expect(loads).toBe(4);
    // A remote invalidation applies locally without being published again.
    apply({ kind: 'session', id: 's1' });
    await cache.session('s1', async () => (loads++, session('s1')));
    expect(loads).toBe(5);
    expect(published).toHaveLength(1);
  });
});
