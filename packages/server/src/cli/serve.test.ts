import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { cliDatabase } from '../../test/setup/cli-harness.js';
import { main } from './main.js';

interface Serving {
  url: string;
  out: string[];
  err: string[];
  done: Promise<number>;
  stop(): Promise<number>;
}

/** `latch serve` in-process; a SIGTERM is delivered as the process event the command listens for. */
async function serve(env: Record<string, string>): Promise<Serving> {
  const out: string[] = [];
  const err: string[] = [];
  const done = main(['serve'], { out: (l) => out.push(l), err: (l) => err.push(l) }, { ...env, LATCH_PORT: '0' });
  let exited: number | undefined;
  void done.then((code) => (exited = code));
  await expect
    .poll(() => exited !== undefined || out.some((l) => l.startsWith('Latch is listening')), { timeout: 20_000, interval: 20 })
    .toBe(true);
  if (exited !== undefined) throw new Error(`serve exited with ${exited}: ${err.join('\n')}`);
  const url = /listening on (http:\/\/\S+)/.exec(out.find((l) => l.startsWith('Latch is listening'))!)![1];
  return {
    url,
    out,
    err,
    done,
    stop: () => {
      process.emit('SIGTERM', 'SIGTERM');
      return done;
    },
  };
}

async function post(url: string, path: string, key: string, body: unknown) {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

describe.each(dialects)('latch serve (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof cliDatabase>>;
  beforeAll(async () => {
    db = await cliDatabase(dialect);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('first start prints one publishable and one secret key, once; the keys work; SIGTERM exits 0', async () => {
    const first = await serve(db.env);
    const printed = first.out.join('\n');
    const pks: string[] = printed.match(/pk_[0-9a-f]{64}/g) ?? [];
    const sks: string[] = printed.match(/sk_[0-9a-f]{64}/g) ?? [];
    expect(pks).toHaveLength(1);
    expect(sks).toHaveLength(1);
    const email = uniqueEmail('first');
    expect((await post(first.url, '/v1/auth/email/signup', pks[0], { method: 'password', email, password: STRONG_PASSWORD, name: 'First' })).status).toBe(201);
    expect((await post(first.url, '/v1/auth/email/signin', pks[0], { method: 'password', email, password: STRONG_PASSWORD })).status).toBe(200);
    expect((await post(first.url, '/v1/auth/refresh', sks[0], { refreshToken: 'x' })).body.code).toBe('auth/invalid-refresh-token');
    expect(await first.stop()).toBe(0);
    await expect(fetch(`${first.url}/health`)).rejects.toThrow();

    const second = await serve(db.env);
    try {
      expect(second.out.join('\n')).not.toMatch(/[ps]k_[0-9a-f]{64}/);
      expect((await post(second.url, '/v1/auth/email/signin', pks[0], { method: 'password', email, password: STRONG_PASSWORD })).status).toBe(200);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 90_000);

  it('with LATCH_BOOTSTRAP_* keys prints nothing and serves exactly those keys', async () => {
    const fresh = await cliDatabase(dialect);
    const pk = `pk_${'4c'.repeat(32)}`;
    const sk = `sk_${'d5'.repeat(32)}`;
    const server = await serve({ ...fresh.env, LATCH_BOOTSTRAP_PUBLISHABLE_KEY: pk, LATCH_BOOTSTRAP_SECRET_KEY: sk });
    try {
      expect(server.out.join('\n')).not.toMatch(/[ps]k_[0-9a-f]{64}/);
      expect((await post(server.url, '/v1/auth/email/signup', pk, { method: 'password', email: uniqueEmail(), password: STRONG_PASSWORD, name: 'B' })).status).toBe(201);
      expect((await post(server.url, '/v1/auth/refresh', sk, { refreshToken: 'x' })).status).toBe(401);
      expect((await post(server.url, '/v1/auth/refresh', sk, { refreshToken: 'x' })).body.code).toBe('auth/invalid-refresh-token');
    } finally {
      await server.stop();
    }
    // A restart with the same variables adds nothing.
    const again = await serve({ ...fresh.env, LATCH_BOOTSTRAP_PUBLISHABLE_KEY: pk, LATCH_BOOTSTRAP_SECRET_KEY: sk });
    await again.stop();
    const { connectDatabase } = await import('../db/connect.js');
    const handle = connectDatabase(fresh.url);
    try {
      const rows = await handle.db.selectFrom('api_keys').select(['type', 'display_prefix']).orderBy('type').execute();
      expect(rows).toEqual([
        { type: 'publishable', display_prefix: pk.slice(0, 11) },
        { type: 'secret', display_prefix: sk.slice(0, 11) },
      ]);
    } finally {
      await handle.close();
      await fresh.drop();
    }
  }, 90_000);

  it('production without LATCH_SMTP_URL refuses to start with one line naming it', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['serve'], { out: (l) => out.push(l), err: (l) => err.push(l) }, { ...db.env, NODE_ENV: 'production', LATCH_PASSWORD_HASH: 'argon2id:m=19456,t=2,p=1', LATCH_PORT: '0' });
    expect(code).toBe(1);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^latch: configuration error: LATCH_SMTP_URL: /);
    expect(out).toEqual([]);
  });
});
