import { Redis } from 'ioredis';
import type { AuthCache } from './auth-cache.js';

const CHANNEL = 'latch:invalidate';

/**
 * Redis pub/sub fan-out of cache invalidations, so a session revoked on one instance stops working on
 * every instance at once (auth-api.md §4.1 "Redis fan-out when configured").
 */
export async function connectInvalidationBus(url: string, cache: AuthCache): Promise<() => Promise<void>> {
  const origin = Math.random().toString(36).slice(2);
  const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const sub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await Promise.all([pub.connect(), sub.connect()]);
  const apply = cache.attachBus((message) => {
    pub.publish(CHANNEL, JSON.stringify({ ...message, origin })).catch(() => {});
  });
  await sub.subscribe(CHANNEL);
  sub.on('message', (_channel, raw) => {
    try {
      const message = JSON.parse(raw);
      if (message.origin !== origin) apply(message);
    } catch {
      // ignore foreign messages on the channel
    }
  });
  return async () => {
    pub.disconnect();
    sub.disconnect();
  };
}
