import { sql } from 'kysely';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { dialects, type DialectName } from '../../test/helpers/databases.js';
import { signIn, signUp } from '../../test/helpers/factories.js';
import type { TestApp } from '../../test/helpers/test-app.js';
import { runCli, withServersAndCli, type CliDatabase } from '../../test/setup/cli-harness.js';
import { PUBLISH_AHEAD_MS, RELOAD_INTERVAL_MS } from '../tokens/signing-keys.js';

const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

/** A running server and the CLI on one database, as an operator's shell beside a server. */
function withWorld(dialect: DialectName, test: (w: { db: CliDatabase; t: TestApp; run: (...argv: string[]) => ReturnType<typeof runCli> }) => Promise<void>) {
  return withServersAndCli(dialect, {}, ({ db, apps: [t] }) => test({ db, t, run: (...argv) => runCli(['signing-keys', ...argv], db.env) }));
}

const jwksKids = async (t: TestApp) => ((await t.request('GET', '/.well-known/jwks.json', { key: null })).body.keys as { kid: string }[]).map((k) => k.kid);
const afterReload = (t: TestApp) => t.clock.advance(RELOAD_INTERVAL_MS + 1_000);

describe.each(dialects)('latch signing-keys (%s)', (dialect) => {
  it('rotate: the new key is published at once and signs once every cached JWKS has expired; the old key verifies until its tokens have expired, then leaves the JWKS', async () => {
    await withWorld(dialect, async ({ t, run }) => {
      const user = await signUp(t);
      const oldKid = kidOf(user.accessToken);
      const rotated = await run('rotate');
      expect(rotated.code).toBe(0);
      const [, newKid, signsFrom, until] = /^New signing key ([0-9a-f]+): published now, signs from (\S+); the key it replaces verifies until (\S+)\.$/.exec(rotated.out[0]) ?? [];
      expect(newKid).not.toBe(oldKid);
      expect(Date.parse(signsFrom) - Date.now()).toBeGreaterThan(PUBLISH_AHEAD_MS - 5_000);
      // The longest token lifetime (1 h) and a minute's grace after the new key starts signing.
      expect(Date.parse(until) - Date.parse(signsFrom)).toBe(3_660_000);

      // Re-read: the new key is in the JWKS before any token names it; the old one still signs.
      afterReload(t);
      expect(await jwksKids(t)).toEqual(expect.arrayContaining([oldKid, newKid]));
      expect(kidOf((await signIn(t, user.email, user.password)).body.accessToken)).toBe(oldKid);

      t.clock.advance(Date.parse(signsFrom) - t.clock.now() + RELOAD_INTERVAL_MS + 1_000);
      expect(kidOf((await signIn(t, user.email, user.password)).body.accessToken)).toBe(newKid);
      expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200);
      const listed = await run('list');
      expect(listed.out[0]).toBe('kid\talg\tcreated\tstatus\tsigns from\tverifies until');
      expect(listed.out.find((line) => line.startsWith(`${newKid}\t`))).toMatch(/\tES256\t.*\t(next|signing)\t.*\t-$/);
      expect(listed.out.find((line) => line.startsWith(`${oldKid}\t`))).toMatch(/\t(signing|verifying)\t/);
      expect((await t.ctx.keys.list()).find((key) => key.kid === oldKid)).toMatchObject({ status: 'verifying', verifiesUntil: Date.parse(until) });

      t.clock.advance(Date.parse(until) - t.clock.now() + RELOAD_INTERVAL_MS + 1_000);
      expect(await jwksKids(t)).toEqual([newKid]);
      // The CLI reads the wall clock; the server's own view, an hour on, calls the key retired.
      expect((await t.ctx.keys.list()).find((key) => key.kid === oldKid)).toMatchObject({ status: 'retired' });
    });
  });

  it('retire (a leaked key): its tokens are refused within the reload interval, even ones already verified; a new key signs and refresh recovers', async () => {
    await withWorld(dialect, async ({ t, run }) => {
      const user = await signUp(t);
      const oldKid = kidOf(user.accessToken);
      expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(200);

      const retired = await run('retire', oldKid);
      expect(retired.code).toBe(0);
      const newKid = /new signing key ([0-9a-f]+), signing now/.exec(retired.out[0])?.[1];
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

  it('retiring a key that only verifies, or one not signing yet, leaves the signing key in place', async () => {
    await withWorld(dialect, async ({ t, run }) => {
      const user = await signUp(t);
      const oldKid = kidOf(user.accessToken);
      // A rotation called off: the key that would sign in 10 s is retired from the shell; nothing else moves.
      const [, pendingKid] = /^New signing key ([0-9a-f]+):/.exec((await run('rotate')).out[0]) ?? [];
      const retired = await run('retire', pendingKid);
      expect(retired.out[0]).toBe(`Retired ${pendingKid}: tokens it signed are refused (running servers follow within 5 s).`);
      t.clock.advance(PUBLISH_AHEAD_MS + RELOAD_INTERVAL_MS + 1_000);
      expect(kidOf((await signIn(t, user.email, user.password)).body.accessToken)).toBe(oldKid);
      expect(await jwksKids(t)).toEqual([oldKid]);

      // Rotated for real, then the old key (verifying only) retired, in the server's own time.
      const { kid: signingKid, signsFrom } = await t.ctx.keys.rotate();
      t.clock.advance(signsFrom - t.clock.now() + 1);
      expect(await t.ctx.keys.retire(oldKid)).toEqual({});
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
