import { sql } from 'kysely';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { dialects, type DialectName } from '../../test/helpers/databases.js';
import { ManualClock } from '../../test/helpers/clock.js';
import { signIn, signUp } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { cliDatabase, runCli, type CliDatabase } from '../../test/setup/cli-harness.js';
import { RELOAD_INTERVAL_MS } from '../tokens/signing-keys.js';

const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

/**
 * A running server (its clock starts at the wall clock the CLI uses, then tests move it) and the CLI on
 * one database, as an operator's shell beside a server.
 */
async function withWorld(dialect: DialectName, test: (w: { db: CliDatabase; t: TestApp; run: (...argv: string[]) => ReturnType<typeof runCli> }) => Promise<void>) {
  const db = await cliDatabase(dialect);
  await runCli(['migrate'], db.env);
  const t = await createTestApp(dialect, { database: { url: db.url, drop: async () => {} }, env: db.env, clock: new ManualClock(Date.now()) });
  try {
    await test({ db, t, run: (...argv) => runCli(['signing-keys', ...argv], db.env) });
  } finally {
    await t.close();
    await db.drop();
  }
}

const jwksKids = async (t: TestApp) => ((await t.request('GET', '/.well-known/jwks.json', { key: null })).body.keys as { kid: string }[]).map((k) => k.kid);
const afterReload = (t: TestApp) => t.clock.advance(RELOAD_INTERVAL_MS + 1_000);

describe.each(dialects)('latch signing-keys (%s)', (dialect) => {
  it('rotate: the running server signs with the new key within the reload interval; the old key verifies until its tokens have expired, then leaves the JWKS', async () => {
    await withWorld(dialect, async ({ t, run }) => {
      const user = await signUp(t);
      const oldKid = kidOf(user.accessToken);
      const rotated = await run('rotate');
      expect(rotated.code).toBe(0);
      const newKid = /^New signing key ([0-9a-f]+);/.exec(rotated.out[0])?.[1];
      expect(newKid).toBeDefined();
      expect(newKid).not.toBe(oldKid);

      afterReload(t);
      const again = await signIn(t, user.email, user.password);
      expect(kidOf(again.body.accessToken)).toBe(newKid);
      expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200);
      expect(await jwksKids(t)).toEqual(expect.arrayContaining([oldKid, newKid]));

      const listed = await run('list');
      expect(listed.out[0]).toBe('kid\talg\tcreated\tstatus\tretires');
      expect(listed.out.find((line) => line.startsWith(`${newKid}\t`))).toMatch(/\tES256\t.*\tsigning\t-$/);
      const oldLine = listed.out.find((line) => line.startsWith(`${oldKid}\t`))!;
      expect(oldLine).toMatch(/\tverifying\t\d{4}-/);
      // It retires after the longest token lifetime (1 h) and a minute's grace, not before.
      const retiresAt = Date.parse(oldLine.split('\t')[4]);
      expect(retiresAt - Date.now()).toBeGreaterThan(3600_000);
      expect(retiresAt - Date.now()).toBeLessThanOrEqual(3660_000);

      t.clock.advance(retiresAt - t.clock.now() + RELOAD_INTERVAL_MS + 1_000);
      expect(await jwksKids(t)).toEqual([newKid]);
      // The CLI reads the wall clock; the server's own view, an hour on, calls the key retired.
      expect((await t.ctx.keys.list()).find((key) => key.kid === oldKid)).toMatchObject({ status: 'retired', retiredAt: retiresAt });
    });
  });

  it('retire (a leaked key): its tokens are refused within the reload interval, even ones already verified; a new key signs and refresh recovers', async () => {
    await withWorld(dialect, async ({ t, run }) => {
      const user = await signUp(t);
      const oldKid = kidOf(user.accessToken);
      expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200);

      const retired = await run('retire', oldKid);
      expect(retired.code).toBe(0);
      const newKid = /new signing key ([0-9a-f]+)\./.exec(retired.out[0])?.[1];
      expect(newKid).toBeDefined();

      afterReload(t);
      const refused = await t.request('GET', '/v1/auth/me', { token: user.accessToken });
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('auth/invalid-token');
      expect(await jwksKids(t)).toEqual([newKid]);

      const refreshed = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } });
      expect(refreshed.status).toBe(200);
      expect(kidOf(refreshed.body.accessToken)).toBe(newKid);
      expect((await t.request('GET', '/v1/auth/me', { token: refreshed.body.accessToken })).status).toBe(200);

      const twice = await run('retire', oldKid);
      expect(twice.code).toBe(1);
      expect(twice.err[0]).toMatch(/no live key with kid/);
    });
  });

  it('retiring a key that only verifies leaves the signing key in place', async () => {
    await withWorld(dialect, async ({ t, run }) => {
      const user = await signUp(t);
      const oldKid = kidOf(user.accessToken);
      await run('rotate');
      afterReload(t);
      const signingKid = kidOf((await signIn(t, user.email, user.password)).body.accessToken);
      const retired = await run('retire', oldKid);
      expect(retired.out[0]).toMatch(/^Retired [0-9a-f]+: tokens it signed are refused \(running servers follow within 5 s\)\.$/);
      afterReload(t);
      expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(401);
      expect(kidOf((await signIn(t, user.email, user.password)).body.accessToken)).toBe(signingKid);
      expect(await jwksKids(t)).toEqual([signingKid]);
    });
  });

  it('a failed re-read keeps the keys already held: tokens still verify and sign while the table is unreadable', async () => {
    await withWorld(dialect, async ({ t }) => {
      const user = await signUp(t);
      await sql`alter table signing_keys rename to signing_keys_away`.execute(t.ctx.db);
      try {
        afterReload(t);
        expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200);
        expect(kidOf((await signIn(t, user.email, user.password)).body.accessToken)).toBe(kidOf(user.accessToken));
      } finally {
        await sql`alter table signing_keys_away rename to signing_keys`.execute(t.ctx.db);
      }
    });
  });

  it.each([
    [[], /expected list, rotate or retire/],
    [['revoke', 'abc'], /expected list, rotate or retire/],
    [['retire'], /give the key id/],
    [['rotate', 'now'], /unexpected argument "now"/],
    [['retire', 'a', 'b'], /unexpected argument "b"/],
    [['retire', 'not-a-kid'], /no live key with kid "not-a-kid"/],
  ])('%j exits 1 with a message and changes no key', async (argv, message) => {
    await withWorld(dialect, async ({ t, run }) => {
      const before = await t.ctx.db.selectFrom('signing_keys').selectAll().execute();
      const result = await run(...argv);
      expect(result.code).toBe(1);
      expect(result.err.join('\n')).toMatch(message);
      expect(await t.ctx.db.selectFrom('signing_keys').selectAll().execute()).toEqual(before);
    });
  });
});
