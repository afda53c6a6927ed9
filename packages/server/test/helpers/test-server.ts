import { ensureApiKey } from '../../src/api-keys/api-keys.js';
import { loadConfig } from '../../src/config/load-config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createLogger } from '../../src/http/logging.js';
import type { ManualClock } from './clock.js';
import { createTestDatabase, type DialectName, type TestDatabase } from './databases.js';
import { TEST_PK, TEST_SK, testEnv } from './test-app.js';

export interface TestServer extends RunningServer {
  database: TestDatabase;
  /** fetch against the live socket with the publishable key (and a token when given). */
  call(method: string, path: string, options?: { body?: unknown; token?: string; key?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** A real server on a random loopback port, for end-to-end tests over a socket. */
export async function startTestServer(
  dialect: DialectName,
  options: { env?: Record<string, string>; clock?: ManualClock; database?: TestDatabase } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase(dialect));
  // A short grace period: a test's abandoned connection must not hold its server's close for long.
  const config = loadConfig(testEnv(database.url, { LATCH_PORT: '0', LATCH_SHUTDOWN_TIMEOUT: '3', ...options.env }));
  const server = await startServer(config, { clock: options.clock, log: createLogger('silent'), migrate: true, print: () => {} });
  await ensureApiKey(server.ctx, 'publishable', TEST_PK);
  await ensureApiKey(server.ctx, 'secret', TEST_SK);
  return {
    ...server,
    database,
    async call(method, path, call = {}) {
      const headers: Record<string, string> = { ...call.headers };
      const key = call.key === undefined ? TEST_PK : call.key;
      if (key !== null) headers['x-api-key'] = key;
      if (call.token) headers.authorization = `Bearer ${call.token}`;
      if (call.body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers,
        body: call.body === undefined ? undefined : typeof call.body === 'string' ? call.body : JSON.stringify(call.body),
        redirect: 'manual',
      });
      const text = await res.text();
      let body: any = text;
      if ((res.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text);
      return { status: res.status, body, headers: res.headers };
    },
    async close() {
      await server.stop();
      if (!options.database) await database.drop();
    },
  };
}
