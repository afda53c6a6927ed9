import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Writable } from 'node:stream';
import { ensureApiKey } from '../../src/api-keys/api-keys.js';
import { buildApp } from '../../src/app.js';
import { openContext } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { AppContext } from '../../src/context.js';
import { createLogger } from '../../src/http/logging.js';
import type { Mailer } from '../../src/mail/mailer.js';
import { ManualClock } from './clock.js';
import { createTestDatabase, type DialectName, type TestDatabase } from './databases.js';

export const TEST_PK = `pk_${'a1'.repeat(32)}`;
export const TEST_SK = `sk_${'b2'.repeat(32)}`;

/** Cheap argon2id (real algorithm, tiny cost) and generous rate limits unless a test sets its own. */
export function testEnv(databaseUrl: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    LATCH_DATABASE_URL: databaseUrl,
    LATCH_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
    LATCH_PASSWORD_HASH: 'argon2id:m=64,t=1,p=1',
    LATCH_LOG_LEVEL: 'silent',
    LATCH_BOOTSTRAP_PUBLISHABLE_KEY: TEST_PK,
    LATCH_BOOTSTRAP_SECRET_KEY: TEST_SK,
    LATCH_RATE_SIGNUP_IP: '10000/3600',
    LATCH_RATE_SIGNIN_IP: '10000/900',
    LATCH_RATE_SIGNIN_EMAIL: '10000/900',
    LATCH_RATE_REFRESH_SESSION: '10000/60',
    LATCH_DATA_DIR: '/tmp/latch-test-data',
    ...env,
  };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: LightMyRequestResponse['headers'];
  raw: LightMyRequestResponse;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  /** API key; defaults to the publishable test key; `null` sends none. */
  key?: string | null;
  headers?: Record<string, string>;
  ip?: string;
}

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  clock: ManualClock;
  /** Everything logged, as raw JSON lines (redaction tests read it). */
  logs: string[];
  request<T = any>(method: string, url: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export async function createTestApp(
  dialect: DialectName,
  options: { env?: Record<string, string>; clock?: ManualClock; mailer?: Mailer; logLevel?: string; database?: TestDatabase } = {},
): Promise<TestApp> {
  // A given database is shared with other instances (multi-instance tests) and dropped by its owner.
  const database = options.database ?? (await createTestDatabase(dialect));
  const clock = options.clock ?? new ManualClock();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = loadConfig(testEnv(database.url, options.env));
  const log = createLogger(options.logLevel ?? 'info', sink);
  const opened = await openContext(config, { clock, log, mailer: options.mailer, migrate: true });
  await ensureApiKey(opened.ctx, 'publishable', TEST_PK);
  await ensureApiKey(opened.ctx, 'secret', TEST_SK);
  const app = await buildApp(opened.ctx);
  await app.ready();

  return {
    app,
    ctx: opened.ctx,
    clock,
    logs,
    async request(method, url, request = {}) {
      const headers: Record<string, string> = { ...request.headers };
      const key = request.key === undefined ? TEST_PK : request.key;
      if (key !== null) headers['x-api-key'] = key;
      if (request.token) headers.authorization = `Bearer ${request.token}`;
      const raw = await app.inject({
        method: method as 'GET',
        url,
        headers,
        remoteAddress: request.ip,
        ...(request.body === undefined ? {} : typeof request.body === 'string' ? { payload: request.body } : { payload: request.body as object }),
      });
      let body: any = raw.body;
      if ((raw.headers['content-type'] ?? '').toString().includes('json')) body = raw.json();
      return { status: raw.statusCode, body, headers: raw.headers, raw };
    },
    async close() {
      await app.close();
      await opened.close();
      if (!options.database) await database.drop();
    },
  };
}
