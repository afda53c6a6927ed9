import type { Clock } from '../clock.js';
import type { ApiKeyRow } from '../api-keys/queries.js';
import type { UsersTable } from '../db/types.js';

export interface SessionState {
  id: string;
  userId: string;
  revokedAt: number | null;
  expiresAt: number;
  lastActivityAt: number;
  orgId: string | null;
}

export interface CachedSession {
  session: SessionState;
  user: UsersTable | undefined;
}

type Invalidation = { kind: 'session' | 'user' | 'apiKey'; id: string };

interface Entry<T> {
  value: T;
  at: number;
}

const MAX_ENTRIES = 50_000;

/**
 * The hot path's memory (decisions.md §8): API-key rows and session+user rows, each kept for at most
 * `ttlMs`. A revocation on this instance forgets the entry at once; other processes' revocations arrive
 * over the invalidation bus (Redis, else PostgreSQL's LISTEN/NOTIFY) or, on a SQLite file, are noticed
 * as foreign writes; entries still age out after `ttlMs` whatever is missed — the bound the README states.
 */
export class AuthCache {
  private readonly keys = new Map<string, Entry<ApiKeyRow | undefined>>();
  private readonly sessions = new Map<string, Entry<CachedSession | undefined>>();
  private readonly sessionsByUser = new Map<string, Set<string>>();
  private publish: (message: Invalidation) => void = () => {};
  private foreignWrites: () => boolean = () => false;

  constructor(private readonly clock: Clock, private readonly ttlMs: number) {}

  /** Connect the cross-instance bus: local forgets are published, remote ones applied. */
  attachBus(publish: (message: Invalidation) => void): (message: Invalidation) => void {
    this.publish = publish;
    return (message) => this.apply(message);
  }

  /**
   * `changed` answers whether another process wrote to the database since it was last asked (SQLite's
   * data_version): a hit is then not trusted and the whole cache is dropped, so a `latch keys revoke`
   * in a shell is refused by the running server within `changed`'s own delay (connect.ts: 50 ms).
   */
  watchForeignWrites(changed: () => boolean): void {
    this.foreignWrites = changed;
  }

  /** Forget everything (invalidations may have been missed, e.g. while a bus reconnected). */
  clear(): void {
    this.keys.clear();
    this.sessions.clear();
    this.sessionsByUser.clear();
  }

  /** Misses are not cached: a key created a moment ago (CLI, another instance) works at once. */
  async apiKey(hash: string, load: () => Promise<ApiKeyRow | undefined>): Promise<ApiKeyRow | undefined> {
    const row = await this.cached(this.keys, hash, load);
    if (!row) this.keys.delete(hash);
    return row;
  }

  async session(sid: string, load: () => Promise<CachedSession | undefined>): Promise<CachedSession | undefined> {
    const value = await this.cached(this.sessions, sid, load);
    if (value) {
      let set = this.sessionsByUser.get(value.session.userId);
      if (!set) this.sessionsByUser.set(value.session.userId, (set = new Set()));
      set.add(sid);
    }
    return value;
  }

  forgetApiKey(hash: string): void {
    this.apply({ kind: 'apiKey', id: hash });
    this.publish({ kind: 'apiKey', id: hash });
  }

  forgetSession(sid: string): void {
    this.apply({ kind: 'session', id: sid });
    this.publish({ kind: 'session', id: sid });
  }

  forgetUser(userId: string): void {
    this.apply({ kind: 'user', id: userId });
    this.publish({ kind: 'user', id: userId });
  }

  private apply(message: Invalidation): void {
    if (message.kind === 'apiKey') this.keys.delete(message.id);
    else if (message.kind === 'session') this.sessions.delete(message.id);
    else {
      for (const sid of this.sessionsByUser.get(message.id) ?? []) this.sessions.delete(sid);
      this.sessionsByUser.delete(message.id);
    }
  }

  private async cached<T>(map: Map<string, Entry<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const now = this.clock.now();
    const hit = map.get(key);
    if (hit && now - hit.at < this.ttlMs) {
      if (!this.foreignWrites()) return hit.value;
      this.clear();
    }
    const value = await load();
    if (this.ttlMs > 0) {
      if (map.size >= MAX_ENTRIES) map.clear();
      map.set(key, { value, at: now });
    }
    return value;
  }
}
