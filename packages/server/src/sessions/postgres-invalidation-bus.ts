import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { randomHex } from '../crypto/random.js';
import type { Database } from '../db/types.js';
import type { AuthCache } from './auth-cache.js';

const CHANNEL = 'latch_invalidate';
const RECONNECT_MS = 1_000;

export interface PostgresBusOptions {
  /** A serving process listens; a one-shot CLI command only announces its own revocations. */
  listen: boolean;
  onReconnect?: () => void;
}

/**
 * Without Redis, a PostgreSQL deployment carries cache invalidations over LISTEN/NOTIFY, so a revocation
 * made on one instance, or by `latch keys revoke` in a shell, reaches every serving instance at once
 * (data-and-rls.md §2.6: caching must not delay a key's revocation). NOTIFY goes through the query pool;
 * a listening process keeps one more connection of its own. Notifications sent while that connection
 * is down are lost, so the cache is emptied once it is back; meanwhile entries still age out within
 * LATCH_SESSION_CACHE_TTL.
 */
export async function connectPostgresInvalidationBus(
  url: string,
  db: Kysely<Database>,
  cache: AuthCache,
  options: PostgresBusOptions,
): Promise<() => Promise<void>> {
  const origin = randomHex(8);
  const sending = new Set<Promise<unknown>>();
  const apply = cache.attachBus((message) => {
    const sent = sql`select pg_notify(${CHANNEL}, ${JSON.stringify({ ...message, origin })})`.execute(db).catch(() => {});
    sending.add(sent);
    void sent.finally(() => sending.delete(sent));
  });
  // A CLI command exits right after its revocation: its announcement must leave before the pool closes.
  const drain = () => Promise.all([...sending]);
  if (!options.listen) return async () => void (await drain());

  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const listen = async (): Promise<void> => {
    const candidate = new pg.Client({ connectionString: url });
    candidate.on('error', () => {}); // 'end' follows and schedules the reconnect
    candidate.on('notification', (notification) => {
      if (notification.channel !== CHANNEL || !notification.payload) return;
      try {
        const message = JSON.parse(notification.payload);
        if (message.origin !== origin) apply(message);
      } catch {
        // not ours: ignore
      }
    });
    try {
      await candidate.connect();
      await candidate.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await candidate.end().catch(() => {});
      throw error;
    }
    candidate.on('end', () => {
      if (client !== candidate) return;
      client = undefined;
      if (!closed) scheduleReconnect();
    });
    client = candidate;
  };

  const scheduleReconnect = (): void => {
    retry = setTimeout(() => {
      listen().then(
        () => {
          if (closed) return void client?.end().catch(() => {});
          cache.clear();
          options.onReconnect?.();
        },
        () => {
          if (!closed) scheduleReconnect();
        },
      );
    }, RECONNECT_MS);
    retry.unref();
  };

  await listen();
  return async () => {
    closed = true;
    clearTimeout(retry);
    await drain();
    const listening = client;
    client = undefined;
    await listening?.end().catch(() => {});
  };
}
