import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, redisOnly, redisUrl, type TestDatabase } from '../../test/helpers/databases.js';
import { testEnv } from '../../test/helpers/test-app.js';
import { openContext } from '../bootstrap.js';
import { loadConfig } from '../config/load-config.js';
import { AppError } from '../errors/app-error.js';
import { createLogger } from '../http/logging.js';
import { MAINTENANCE_JOBS } from '../maintenance/jobs.js';
import { Limiters } from './limiters.js';
import { purgeExpiredRateLimits } from './maintenance.js';

const unique = (tag: string) => `${tag}-${randomBytes(6).toString('hex')}`;

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

/** How many of `n` simultaneous consumes of one key got through. */
async function passedOfBurst(limiters: Limiters, name: string, key: string, n: number): Promise<number> {
  const results = await Promise.allSettled(Array.from({ length: n }, () => limiters.consume(name, key)));
  for (const result of results) if (result.status === 'rejected' && !(result.reason instanceof AppError && result.reason.statusCode === 429)) throw result.reason;
  return results.filter((result) => result.status === 'fulfilled').length;
}

describe('Limiters (memory store)', () => {
  const limiters = new Limiters({ kind: 'memory' }, true);
  limiters.register('burst', { points: 3, duration: 60 }, 'auth/too-many-requests');

  it('lets the budget through, then refuses with 429, Retry-After and X-RateLimit-*', async () => {
    const key = unique('ip');
    for (let i = 0; i < 3; i++) await limiters.consume('burst', key);
    const error = await refusal(limiters.consume('burst', key));
    expect(error.code).toBe('auth/too-many-requests');
    expect(error.statusCode).toBe(429);
    expect(Number(error.headers!['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(Number(error.headers!['retry-after'])).toBeLessThanOrEqual(60);
    expect(error.headers).toMatchObject({ 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '0' });
    expect(error.details).toEqual({ retryAfter: Number(error.headers!['retry-after']) });
  });

  it('keeps keys apart', async () => {
    const a = unique('a');
    for (let i = 0; i < 3; i++) await limiters.consume('burst', a);
    await expect(limiters.consume('burst', unique('b'))).resolves.toBe(1);
  });

  it('consume answers the points spent, this one included; refund gives one back; reset clears the window', async () => {
    const key = unique('email');
    expect(await limiters.consume('burst', key)).toBe(1);
    expect(await limiters.consume('burst', key)).toBe(2);
    await limiters.refund('burst', key);
    expect(await limiters.consume('burst', key)).toBe(2);
    expect(await limiters.consume('burst', key, 'auth/account-locked')).toBe(3);
    expect((await refusal(limiters.consume('burst', key, 'auth/account-locked'))).code).toBe('auth/account-locked');
    await limiters.reset('burst', key);
    expect(await limiters.consume('burst', key)).toBe(1);
    const off = new Limiters({ kind: 'memory' }, false);
    off.register('burst', { points: 1, duration: 60 }, 'auth/too-many-requests');
    expect(await off.consume('burst', key)).toBe(0);
    await off.refund('burst', key);
  });

  it('counts a burst of simultaneous attempts one by one: exactly the budget passes', async () => {
    expect(await passedOfBurst(limiters, 'burst', unique('burst'), 20)).toBe(3);
  });

  it('treats keys of any length the same way (long keys are digested)', async () => {
    const long = `${'x'.repeat(300)}@example.test`;
    for (let i = 0; i < 3; i++) await limiters.consume('burst', long);
    expect((await refusal(limiters.consume('burst', long))).statusCode).toBe(429);
    await expect(limiters.consume('burst', `${'x'.repeat(301)}@example.test`)).resolves.toBe(1);
  });

  it('does nothing when disabled (LATCH_RATE_LIMIT=off)', async () => {
    const off = new Limiters({ kind: 'memory' }, false);
    off.register('burst', { points: 1, duration: 60 }, 'auth/too-many-requests');
    for (let i = 0; i < 5; i++) await off.consume('burst', 'k');
  });

  it('refuses an unregistered budget loudly (a typo must not mean "unlimited")', async () => {
    await expect(limiters.consume('brust', 'k')).rejects.toThrow(/not registered/);
  });
});

describe.each(dialects)('the store follows the deployment (%s)', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });

  it(`is ${dialect === 'postgres' ? 'PostgreSQL' : 'memory'} without Redis`, async () => {
    const opened = await openContext(loadConfig(testEnv(database.url)), { log: createLogger('silent'), migrate: true });
    try {
      expect(opened.ctx.limiter.storeKind).toBe(dialect === 'postgres' ? 'postgres' : 'memory');
    } finally {
      await opened.close();
    }
  });

  describe.each(redisOnly())('with %s', () => {
    it('is Redis when LATCH_REDIS_URL is set', async () => {
      const opened = await openContext(loadConfig(testEnv(database.url, { LATCH_REDIS_URL: redisUrl! })), { log: createLogger('silent'), migrate: true });
      try {
        expect(opened.ctx.limiter.storeKind).toBe('redis');
      } finally {
        await opened.close();
      }
    });
  });

  it('counts in the shared store too: consume, refund, reset, and a simultaneous burst one by one', async () => {
    const opened = await openContext(loadConfig(testEnv(database.url)), { log: createLogger('silent'), migrate: true });
    try {
      const limiter = opened.ctx.limiter;
      limiter.register('counted', { points: 3, duration: 60 }, 'auth/too-many-requests');
      const key = unique('email');
      expect(await limiter.consume('counted', key)).toBe(1);
      expect(await limiter.consume('counted', key)).toBe(2);
      await limiter.refund('counted', key);
      expect(await limiter.consume('counted', key)).toBe(2);
      await limiter.reset('counted', key);
      expect(await limiter.consume('counted', key)).toBe(1);
      const burst = unique('burst');
      expect(await passedOfBurst(limiter, 'counted', burst, 20)).toBe(3);
      // The maintenance test below lists every counter of this database: leave none behind.
      await Promise.all([limiter.reset('counted', key), limiter.reset('counted', burst)]);
    } finally {
      await opened.close();
    }
  });

  describe.each(redisOnly())('with %s as the store', () => {
    it('counts a simultaneous burst one by one', async () => {
      const opened = await openContext(loadConfig(testEnv(database.url, { LATCH_REDIS_URL: redisUrl! })), { log: createLogger('silent'), migrate: true });
      try {
        opened.ctx.limiter.register('counted', { points: 3, duration: 60 }, 'auth/too-many-requests');
        expect(await passedOfBurst(opened.ctx.limiter, 'counted', unique('burst'), 20)).toBe(3);
      } finally {
        await opened.close();
      }
    });
  });

  it('the maintenance loop deletes counters that expired over an hour ago, and only those', async () => {
    expect(MAINTENANCE_JOBS.rateLimits).toBe(purgeExpiredRateLimits);
    const opened = await openContext(loadConfig(testEnv(database.url)), { log: createLogger('silent'), migrate: true });
    try {
      const { ctx } = opened;
      const live = unique('live');
      if (dialect === 'postgres') {
        // A counter written by the library itself, expiring in a minute.
        ctx.limiter.register('purgeable', { points: 5, duration: 60 }, 'auth/too-many-requests');
        await ctx.limiter.consume('purgeable', live);
      } else {
        await ctx.db.insertInto('rate_limits').values({ key: `latch:purgeable:${live}`, points: 1, expire: Date.now() + 60_000 }).execute();
      }
      const now = Date.now();
      const rows = { stale: unique('stale'), recent: unique('recent'), forever: unique('forever') };
      await ctx.db.insertInto('rate_limits').values([
        { key: rows.stale, points: 3, expire: now - 2 * 3_600_000 },
        { key: rows.recent, points: 3, expire: now - 10 * 60_000 },
        { key: rows.forever, points: 3, expire: null },
      ]).execute();
      const keys = async () => (await ctx.db.selectFrom('rate_limits').select('key').execute()).map((r) => r.key).sort();

      expect(await purgeExpiredRateLimits(ctx, now)).toEqual({ deleted: 1 });
      expect(await keys()).toEqual([`latch:purgeable:${live}`, rows.forever, rows.recent].sort());
      // Two hours on, the recent one and the library's own counter are over an hour past their expiry too.
      expect(await purgeExpiredRateLimits(ctx, now + 2 * 3_600_000)).toEqual({ deleted: 2 });
      expect(await keys()).toEqual([rows.forever]);
    } finally {
      await opened.close();
    }
  });

  it('answers while every connection of the database pool is held by an open transaction', async () => {
    const opened = await openContext(loadConfig(testEnv(database.url)), { log: createLogger('silent'), migrate: true });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holders: Array<Promise<unknown>> = [];
    try {
      const limiter = opened.ctx.limiter;
      limiter.register('beside', { points: 5, duration: 60 }, 'auth/too-many-requests');
      // Ten transactions (the pool's size) each hold a connection until the gate opens.
      let started = 0;
      for (let i = 0; i < 10; i++) {
        holders.push(opened.ctx.db.transaction().execute(async (trx) => {
          await trx.selectFrom('settings').select('key').execute();
          started++;
          await gate;
        }));
      }
      if (dialect === 'postgres') await expect.poll(() => started, { timeout: 5000, interval: 10 }).toBe(10);
      const answered = await Promise.race([
        limiter.consume('beside', unique('ip')).then(() => 'answered'),
        new Promise((resolve) => setTimeout(() => resolve('stuck'), 5000)),
      ]);
      expect(answered).toBe('answered');
    } finally {
      release();
      await Promise.all(holders);
      await opened.close();
    }
  });

  it('stores long keys in a shared store without failing', async () => {
    const opened = await openContext(loadConfig(testEnv(database.url)), { log: createLogger('silent'), migrate: true });
    try {
      const limiter = opened.ctx.limiter;
      limiter.register('longKeys', { points: 1, duration: 60 }, 'auth/too-many-requests');
      const key = `${'y'.repeat(250)}-${unique('k')}`;
      await limiter.consume('longKeys', key);
      expect((await refusal(limiter.consume('longKeys', key))).statusCode).toBe(429);
    } finally {
      await opened.close();
    }
  });
});

describe.each(redisOnly())('when %s fails mid-flight', () => {
  it('keeps limiting on local memory instead of failing requests', async () => {
    const client = new Redis(redisUrl!, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await client.connect();
    const limiters = new Limiters({ kind: 'redis', client }, true);
    limiters.register('fragile', { points: 2, duration: 60 }, 'auth/too-many-requests');
    const key = unique('ip');
    await limiters.consume('fragile', key);
    client.disconnect();
    await limiters.consume('fragile', key);
    await limiters.consume('fragile', key);
    expect((await refusal(limiters.consume('fragile', key))).statusCode).toBe(429);
  });
});
if (!redisUrl) console.warn('[limiters.test] LATCH_TEST_REDIS_URL not set: Redis store tests SKIPPED');
