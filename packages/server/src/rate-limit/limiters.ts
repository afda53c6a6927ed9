import type { Redis } from 'ioredis';
import type pg from 'pg';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Rate } from '../config/parse.js';
import { sha256Hex } from '../crypto/digest.js';
import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';

export type LimiterStore = { kind: 'memory' } | { kind: 'postgres'; pool: pg.Pool } | { kind: 'redis'; client: Redis };

interface Limit {
  limiter: RateLimiterAbstract;
  rate: Rate;
  code: ErrorCode;
}

/**
 * Named budgets over one store (auth-api.md §10). Memory by default; PostgreSQL or Redis when several
 * instances must share a budget (STYLE anti-pattern: limits held in one process's memory).
 */
export class Limiters {
  private readonly limits = new Map<string, Limit>();

  constructor(private readonly store: LimiterStore, private readonly enabled: boolean) {}

  get storeKind(): LimiterStore['kind'] {
    return this.store.kind;
  }

  register(name: string, rate: Rate, code: ErrorCode): void {
    const options = { keyPrefix: `latch:${name}`, points: rate.points, duration: rate.duration };
    // If the shared store fails mid-flight (Redis restart, pool exhausted), this instance keeps limiting
    // on its own memory instead of answering 500 to every sign-in: degraded sharing, never no limits.
    const insuranceLimiter = new RateLimiterMemory(options);
    let limiter: RateLimiterAbstract;
    if (this.store.kind === 'redis') limiter = new RateLimiterRedis({ ...options, storeClient: this.store.client, insuranceLimiter });
    else if (this.store.kind === 'postgres') {
      limiter = new RateLimiterPostgres({
        ...options,
        storeClient: this.store.pool,
        tableName: 'rate_limits',
        tableCreated: true, // created by migration 0001
        clearExpiredByTimeout: false,
        insuranceLimiter,
      });
    } else limiter = new RateLimiterMemory(options);
    this.limits.set(name, { limiter, rate, code });
  }

  /**
   * Spend one point; over budget → 429 with Retry-After. Returns the points spent in the window, this one
   * included (0 when limits are off).
   *
   * Failure budgets (wrong passwords, wrong codes) are spent this way too, *before* the credential is
   * judged, and the caller gives the point back (`refund`) or forgives the window (`reset`) when the
   * attempt was right. Every store increments atomically, so attempts that arrive together are counted
   * one by one; a read-then-charge check would let a whole burst through before its first failure was
   * recorded.
   */
  async consume(name: string, key: string, code?: ErrorCode): Promise<number> {
    if (!this.enabled) return 0;
    const limit = this.get(name);
    try {
      return (await limit.limiter.consume(storeKey(key))).consumedPoints;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw tooMany(code ?? limit.code, limit.rate, rejection.msBeforeNext);
      throw rejection;
    }
  }

  /** Give back the point a right attempt spent (see `consume`). */
  async refund(name: string, key: string): Promise<void> {
    if (!this.enabled) return;
    await this.get(name).limiter.reward(storeKey(key), 1);
  }

  /** Record a use without refusing this request (the refusal comes with the next `consume`). */
  async penalize(name: string, key: string): Promise<void> {
    if (!this.enabled) return;
    await this.get(name).limiter.penalty(storeKey(key), 1);
  }

  async reset(name: string, key: string): Promise<void> {
    if (!this.enabled) return;
    await this.get(name).limiter.delete(storeKey(key));
  }

  private get(name: string): Limit {
    const limit = this.limits.get(name);
    if (!limit) throw new Error(`rate limit "${name}" is not registered`);
    return limit;
  }
}

// The PostgreSQL store's key column is varchar(255) and keys carry a `latch:<name>:` prefix; a long key
// (a 254-character email) is replaced by its digest so it neither fails the insert nor bloats Redis.
const MAX_RAW_KEY = 128;

function storeKey(key: string): string {
  return key.length <= MAX_RAW_KEY ? key : `sha256:${sha256Hex(key)}`;
}

function tooMany(code: ErrorCode, rate: Rate, msBeforeNext: number): AppError {
  const retryAfter = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError(code, `Too many requests; retry in ${retryAfter} s`, { retryAfter }, {
    headers: { 'retry-after': String(retryAfter), 'x-ratelimit-limit': String(rate.points), 'x-ratelimit-remaining': '0' },
  });
}
