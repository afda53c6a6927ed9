import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, redisUrl, postgresOnly } from '../../test/helpers/databases.js';
import { STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { cliDatabase, runCli } from '../../test/setup/cli-harness.js';
import { sha256Hex } from '../crypto/digest.js';
import { connectDatabase } from '../db/connect.js';

const body = () => ({ method: 'password', email: uniqueEmail('cli'), password: STRONG_PASSWORD, name: 'Cli' });

describe.each(dialects)('latch keys (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof cliDatabase>>;
  let server: TestApp;
  beforeAll(async () => {
    db = await cliDatabase(dialect);
    await runCli(['migrate'], db.env);
    server = await createTestApp(dialect, { database: { url: db.url, drop: async () => {} }, env: db.env });
  });
  afterAll(async () => {
    await server.close();
    await db.drop();
  });

  /**
   * The running server on the same database, as the shell's changes reach it: another process's write is
   * seen once the server's cache entry is older than LATCH_SESSION_CACHE_TTL (the README's bound).
   */
  async function withApp<T>(fn: (t: TestApp) => Promise<T>): Promise<T> {
    server.clock.advanceSeconds(server.ctx.config.sessionCacheTtl + 1);
    return fn(server);
  }

  async function storedRows() {
    const handle = connectDatabase(db.url);
    try {
      return await handle.db.selectFrom('api_keys').selectAll().execute();
    } finally {
      await handle.close();
    }
  }

  it.each(['publishable', 'secret'] as const)('create --type %s prints one working key on stdout, stores only its hash', async (type) => {
    const run = await runCli(['keys', 'create', '--type', type, '--name', `cli-${type}`], db.env);
    expect(run.code).toBe(0);
    expect(run.out).toHaveLength(1);
    const key = run.out[0];
    expect(key).toMatch(type === 'publishable' ? /^pk_[0-9a-f]{64}$/ : /^sk_[0-9a-f]{64}$/);
    expect(run.err.join('\n')).toMatch(/shown only once/);
    const row = (await storedRows()).find((r) => r.name === `cli-${type}`)!;
    expect(row.key_hash).toBe(sha256Hex(key));
    expect(JSON.stringify(await storedRows())).not.toContain(key.slice(11));
    expect(await withApp(async (t) => (await t.request('POST', '/v1/auth/email/signup', { key, body: body() })).status)).toBe(201);
  });

  it('create with scopes and an expiry', async () => {
    const run = await runCli(['keys', 'create', '--type', 'secret', '--name', 'scoped', '--scopes', 'posts:read, *:list', '--expires', '30'], db.env);
    expect(run.code).toBe(0);
    const row = (await storedRows()).find((r) => r.name === 'scoped')!;
    expect(JSON.parse(row.scopes!)).toEqual(['posts:read', '*:list']);
    expect(row.expires_at! - row.created_at).toBe(30 * 86_400_000);
  });

  it.each([
    [['keys', 'create'], /--type must be publishable or secret/],
    [['keys', 'create', '--type', 'admin'], /--type must be publishable or secret/],
    [['keys', 'create', '--type', 'secret', '--scopes', 'posts'], /--scopes/],
    [['keys', 'create', '--type', 'secret', '--expires', '0'], /--expires/],
    [['keys', 'create', '--type', 'secret', '--expires', '1.5'], /--expires/],
    [['keys', 'rotate'], /expected create, list or revoke/],
    [['keys'], /expected create, list or revoke/],
    [['keys', 'revoke'], /give the key id or prefix/],
    [['keys', 'revoke', 'no-such-key'], /no active key/],
  ])('%j exits 1 with a message', async (argv, message) => {
    const before = (await storedRows()).length;
    const run = await runCli(argv, db.env);
    expect(run.code).toBe(1);
    expect(run.out).toEqual([]);
    expect(run.err.join('\n')).toMatch(message);
    expect((await storedRows()).length).toBe(before);
  });

  it('list shows prefix, name, type, created, last used and status, never a key or hash', async () => {
    const created = await runCli(['keys', 'create', '--type', 'publishable', '--name', 'listed'], db.env);
    const key = created.out[0];
    await withApp((t) => t.request('POST', '/v1/auth/refresh', { key, body: { refreshToken: 'x' } }));
    const run = await runCli(['keys', 'list'], db.env);
    expect(run.code).toBe(0);
    expect(run.out[0].split('\t')).toEqual(['id', 'prefix', 'name', 'type', 'created', 'last used', 'status']);
    const line = run.out.find((l) => l.includes('\tlisted\t'))!.split('\t');
    expect(line[1]).toBe(`${key.slice(0, 11)}…`);
    expect(line.slice(2, 4)).toEqual(['listed', 'publishable']);
    expect(line[4]).toMatch(/^\d{4}-\d\d-\d\dT/);
    await expect.poll(async () => (await runCli(['keys', 'list'], db.env)).out.find((l) => l.includes('\tlisted\t'))!.split('\t')[5]).toMatch(/^\d{4}-/);
    expect(line[6]).toBe('active');
    const text = run.out.join('\n');
    for (const row of await storedRows()) expect(text).not.toContain(row.key_hash);
    expect(text).not.toContain(key.slice(11));
  });

  it('revoke ID makes the key fail at once (next server start or lookup) and shows it revoked', async () => {
    const key = (await runCli(['keys', 'create', '--type', 'secret', '--name', 'doomed'], db.env)).out[0];
    const id = (await storedRows()).find((r) => r.name === 'doomed')!.id;
    const run = await runCli(['keys', 'revoke', id], db.env);
    expect(run).toEqual({ code: 0, out: ['Revoked 1 key(s)'], err: [] });
    const res = await withApp((t) => t.request('POST', '/v1/auth/email/signup', { key, body: body() }));
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'auth/invalid-token' });
    const list = await runCli(['keys', 'list'], db.env);
    expect(list.out.find((l) => l.includes('\tdoomed\t'))!.endsWith('\trevoked')).toBe(true);
    expect((await runCli(['keys', 'revoke', id], db.env)).code).toBe(1);
  });

  it('revoke PREFIX works with the prefix that list shows', async () => {
    const key = (await runCli(['keys', 'create', '--type', 'publishable', '--name', 'by-prefix'], db.env)).out[0];
    expect((await runCli(['keys', 'revoke', key.slice(0, 11)], db.env)).code).toBe(0);
    expect((await storedRows()).find((r) => r.name === 'by-prefix')!.revoked_at).not.toBeNull();
  });
});

/**
 * data-and-rls.md §2.6: revocation is effective at once for every client, and caching must not delay
 * it. Without Redis the shell's revocation reaches a running server through the database itself: on a
 * SQLite file the server notices another connection's commit (data_version), on PostgreSQL it arrives
 * by LISTEN/NOTIFY. The cache TTL is 300 s and the clock does not move.
 */
describe.each(dialects)('latch keys revoke against a running instance, no Redis (%s)', (dialect) => {
  it('the running instance refuses the key immediately', async () => {
    const db = await cliDatabase(dialect);
    const env = { ...db.env, LATCH_SESSION_CACHE_TTL: '300' };
    try {
      const key = (await runCli(['keys', 'create', '--type', 'secret', '--name', 'live'], env)).out[0];
      const t = await createTestApp(dialect, { database: { url: db.url, drop: async () => {} }, env });
      try {
        const refresh = async () => (await t.request('POST', '/v1/auth/refresh', { key, body: { refreshToken: 'x' } })).body.code;
        expect(await refresh()).toBe('auth/invalid-refresh-token'); // the key is good and now cached
        expect(await refresh()).toBe('auth/invalid-refresh-token');
        expect((await runCli(['keys', 'revoke', key.slice(0, 11)], env)).code).toBe(0);
        await expect.poll(refresh, { timeout: 2000, interval: 25 }).toBe('auth/invalid-token');
      } finally {
        await t.close();
      }
    } finally {
      await db.drop();
    }
  });
});

/** With Redis, a revocation from the shell reaches a running server at once, not after its cache TTL. */
describe.each(postgresOnly({ redis: true }))('latch keys revoke against a running instance, PostgreSQL + Redis (%s)', () => {
  it('the running instance refuses the key immediately', async () => {
    const db = await cliDatabase('postgres');
    const env = { ...db.env, LATCH_REDIS_URL: redisUrl!, LATCH_SESSION_CACHE_TTL: '300' };
    try {
      const key = (await runCli(['keys', 'create', '--type', 'secret', '--name', 'live'], env)).out[0];
      const t = await createTestApp('postgres', { database: { url: db.url, drop: async () => {} }, env });
      try {
        expect((await t.request('POST', '/v1/auth/refresh', { key, body: { refreshToken: 'x' } })).body.code).toBe('auth/invalid-refresh-token');
        const prefix = key.slice(0, 11);
        expect((await runCli(['keys', 'revoke', prefix], env)).code).toBe(0);
        await expect
          .poll(async () => (await t.request('POST', '/v1/auth/refresh', { key, body: { refreshToken: 'x' } })).body.code, { timeout: 2000, interval: 25 })
          .toBe('auth/invalid-token');
      } finally {
        await t.close();
      }
    } finally {
      await db.drop();
    }
  });
});
