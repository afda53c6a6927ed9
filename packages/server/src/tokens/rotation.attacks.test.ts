import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { dialects, type DialectName } from '../../test/helpers/databases.js';
import { signIn, signUp } from '../../test/helpers/factories.js';
import type { TestApp } from '../../test/helpers/test-app.js';
import { runCli, withServersAndCli, type CliDatabase } from '../../test/setup/cli-harness.js';
import { PUBLISH_AHEAD_MS, RELOAD_INTERVAL_MS } from './signing-keys.js';

const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

/** Two serving instances (each with its own clock, as two processes, unless shared) and the CLI, on one database. */
function withTwoInstances(
  dialect: DialectName,
  test: (w: { db: CliDatabase; a: TestApp; b: TestApp; run: (...argv: string[]) => ReturnType<typeof runCli> }) => Promise<void>,
  options: { serverEnv?: Record<string, string>; sharedClock?: boolean } = {},
) {
  return withServersAndCli(dialect, { ...options, instances: 2 }, ({ db, apps: [a, b] }) => test({ db, a, b, run: (...argv) => runCli(['signing-keys', ...argv], db.env) }));
}

describe.each(dialects)('signing-key rotation across instances (%s)', (dialect) => {
  it('an instance meets a token of a key it has not read yet (another instance put it in place of a leaked one): it re-reads at once and accepts it, /v1 and MCP alike', async () => {
    await withTwoInstances(dialect, async ({ a, b }) => {
      const user = await signUp(a);
      a.clock.advance(RELOAD_INTERVAL_MS + 1_000);
      expect((await a.request('GET', '/.well-known/jwks.json', { key: null })).status).toBe(200); // A has just read
      expect(await b.ctx.keys.retire(kidOf(user.accessToken))).toMatchObject({ replacedBy: expect.any(String) });
      const fromB = (await signIn(b, user.email, user.password)).body.accessToken as string;
      const mcpFromB = await b.ctx.keys.signMcpAccessToken({ userId: user.id, grantId: 'g1', clientId: 'c1', scope: 'docs:read', ttlSeconds: 3600 });
      a.clock.advance(1_000);
      const onA = await a.request('GET', '/v1/auth/me', { token: fromB });
      expect(onA.status, JSON.stringify(onA.body)).toBe(200);
      await expect(a.ctx.keys.verifyMcpAccessToken(mcpFromB)).resolves.toMatchObject({ sub: user.id, gid: 'g1' });
      // That re-read also dropped the leaked key.
      expect((await a.request('GET', '/v1/auth/me', { token: user.accessToken })).status).toBe(401);
    }, { sharedClock: true });
  });

  it('after a rotation elsewhere, no instance signs with the new key before every JWKS serves it', async () => {
    await withTwoInstances(dialect, async ({ a, b }) => {
      const user = await signUp(a);
      const oldKid = kidOf(user.accessToken);
      const { kid: newKid, signsFrom } = await b.ctx.keys.rotate();
      // B rotated and still signs with the old key; A has not re-read yet.
      expect(kidOf((await signIn(b, user.email, user.password)).body.accessToken)).toBe(oldKid);
      a.clock.advance(RELOAD_INTERVAL_MS + 1_000);
      const jwks = (await a.request('GET', '/.well-known/jwks.json', { key: null })).body;
      expect((jwks.keys as { kid: string }[]).map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
      a.clock.advance(signsFrom - a.clock.now());
      const fromB = (await signIn(b, user.email, user.password)).body.accessToken as string;
      expect(kidOf(fromB)).toBe(newKid);
      await expect(jwtVerify(fromB, createLocalJWKSet(jwks), { audience: 'latch', currentDate: new Date(a.clock.now()) })).resolves.toBeTruthy();
    }, { sharedClock: true });
  });

  it('two rotations at the same time (two processes): both keys are kept, and every instance signs with the same one', async () => {
    await withTwoInstances(dialect, async ({ a, b }) => {
      for (let round = 0; round < 4; round++) {
        const results = await Promise.allSettled([a.ctx.keys.rotate(), b.ctx.keys.rotate()]);
        expect(results.map((r) => r.status), JSON.stringify(results)).toEqual(['fulfilled', 'fulfilled']);
        a.clock.advance(PUBLISH_AHEAD_MS + RELOAD_INTERVAL_MS);
        const signingA = (await a.ctx.keys.list()).filter((k) => k.status === 'signing').map((k) => k.kid);
        const signingB = (await b.ctx.keys.list()).filter((k) => k.status === 'signing').map((k) => k.kid);
        expect(signingA).toHaveLength(1);
        expect(signingB).toEqual(signingA);
        const user = await signUp(a);
        expect(kidOf(user.accessToken)).toBe(signingA[0]);
        expect(kidOf((await signIn(b, user.email, user.password)).body.accessToken)).toBe(signingA[0]);
      }
    }, { sharedClock: true });
  });

  it('two retirements of the leaked signing key at the same time (two processes): one replaces it, the other finds it gone', async () => {
    await withTwoInstances(dialect, async ({ a, b }) => {
      const user = await signUp(a);
      const leaked = kidOf(user.accessToken);
      const results = await Promise.all([a.ctx.keys.retire(leaked), b.ctx.keys.retire(leaked)]);
      expect(results.filter((r) => r?.replacedBy), JSON.stringify(results)).toHaveLength(1);
      expect(results.filter((r) => r === undefined)).toHaveLength(1);
      expect((await a.ctx.keys.list()).filter((k) => k.status === 'signing')).toHaveLength(1);
    }, { sharedClock: true });
  });

  it("a rotation made from a shell whose LATCH_ACCESS_TOKEN_TTL is the default keeps the old key verifying until the server's 2 h tokens expire", async () => {
    await withTwoInstances(
      dialect,
      async ({ a, run }) => {
        const user = await signUp(a);
        expect((await run('rotate')).code).toBe(0);
        a.clock.advance(90 * 60_000);
        const res = await a.request('GET', '/v1/auth/me', { token: user.accessToken });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      },
      { serverEnv: { LATCH_ACCESS_TOKEN_TTL: '7200' } },
    );
  });

  it('a token of the leaked key whose verification is in flight while the re-read drops that key stays accepted (verified cache) after the retirement', async () => {
    await withTwoInstances(
      dialect,
      async ({ a, b }) => {
        const user = await signUp(a);
        const leaked = kidOf(user.accessToken);
        // Tokens of the leaked key, not yet verified on A (several clients' tokens).
        const tokens: string[] = [];
        for (let i = 0; i < 3000; i++) tokens.push(await a.ctx.keys.signAccessToken({ userId: user.id, sessionId: decodeJwt(user.accessToken).sid as string, role: 'user' }));
        a.clock.advance(RELOAD_INTERVAL_MS + 1_000);
        await a.ctx.keys.jwks(); // A has just re-read
        // The leak is handled on B, which signs with the replacement at once.
        expect(await b.ctx.keys.retire(leaked)).toMatchObject({ replacedBy: expect.any(String) });
        const fromReplacement = await b.ctx.keys.signAccessToken({ userId: user.id, sessionId: 'x', role: 'user' });
        a.clock.advance(2_000);
        // A meets the replacement's kid: it re-reads at once (drops the leaked key, empties the cache). Requests with
        // tokens of the leaked key keep arriving meanwhile (A's 5 s interval is not over: they do not wait).
        let reloaded = false;
        const trigger = a.ctx.keys.verifyAccessToken(fromReplacement).finally(() => {
          reloaded = true;
        });
        const inFlight: Promise<string>[] = [];
        let next = 0;
        while (!reloaded && next < tokens.length) {
          for (let k = 0; k < 25 && next < tokens.length; k++) inFlight.push(a.ctx.keys.verifyAccessToken(tokens[next++]).then(() => 'ok', () => 'refused'));
          await new Promise((resolve) => setImmediate(resolve));
        }
        await trigger;
        await Promise.all(inFlight);
        const started = next;

        // Minutes later (many re-reads since), every token of the leaked key must be refused.
        for (let i = 0; i < 3; i++) {
          a.clock.advance(RELOAD_INTERVAL_MS + 1);
          await a.ctx.keys.jwks();
        }
        const later = await Promise.all(tokens.slice(0, started).map((token) => a.ctx.keys.verifyAccessToken(token).then(() => 'ok', () => 'refused')));
        const accepted = later.filter((r) => r === 'ok').length;
        const survivor = tokens.slice(0, started).find((_, i) => later[i] === 'ok');
        const me = survivor ? (await a.request('GET', '/v1/auth/me', { token: survivor })).status : 401;
        expect({ accepted, me }, `${accepted} of ${started} tokens of the retired key still accepted (verified cache)`).toEqual({ accepted: 0, me: 401 });
      },
      { sharedClock: true },
    );
  });

  it('retire on one instance: the replacement signs at once, and a verifier that fetches the JWKS from another instance on the unknown kid must find it', async () => {
    await withTwoInstances(
      dialect,
      async ({ a, b }) => {
        const user = await signUp(a);
        const leaked = kidOf(user.accessToken);
        // B has just served its JWKS (a re-read); A retires the leaked key.
        a.clock.advance(RELOAD_INTERVAL_MS + 1_000);
        await b.request('GET', '/.well-known/jwks.json', { key: null });
        const { replacedBy } = (await a.ctx.keys.retire(leaked))!;
        const fromA = (await signIn(a, user.email, user.password)).body.accessToken as string;
        expect(kidOf(fromA)).toBe(replacedBy);
        // The verifier meets an unknown kid and re-fetches (createRemoteJWKSet does); the load balancer sends it to B.
        a.clock.advance(2_000);
        const jwks = (await b.request('GET', '/.well-known/jwks.json', { key: null })).body;
        expect((jwks.keys as { kid: string }[]).map((k) => k.kid)).toContain(replacedBy);
        await expect(jwtVerify(fromA, createLocalJWKSet(jwks), { audience: 'latch', currentDate: new Date(a.clock.now()) })).resolves.toBeTruthy();
      },
      { sharedClock: true },
    );
  });

  it('a rotation from a process whose clock is 15 s behind (an operator shell): the new key must not sign before every instance has had the time to publish it', async () => {
    await withTwoInstances(dialect, async ({ a, b }) => {
      const user = await signUp(a);
      const oldKid = kidOf(user.accessToken);
      // Both a minute on; B's clock lags A's by 15 s.
      a.clock.advance(60_000);
      b.clock.advance(60_000 - 15_000);
      const { kid: newKid } = await b.ctx.keys.rotate();
      // A re-reads on its usual interval (one second after the rotation): by its own clock the new key has already started.
      a.clock.advance(1_000);
      await a.request('GET', '/.well-known/jwks.json', { key: null });
      const fromA = (await signIn(a, user.email, user.password)).body.accessToken as string;
      expect(kidOf(fromA), `A signs with ${newKid} ~1 s after it was published`).toBe(oldKid);
    });
  });
});

// SQLite only: a PostgreSQL transaction takes row locks, not a whole-file lock to upgrade.
describe('signing-key retirement on a SQLite file the server is writing to', () => {
  it('retire KID (the emergency command) succeeds while the server is writing to the SQLite file', async () => {
    await withTwoInstances('sqlite', async ({ a, run }) => {
      const user = await signUp(a);
      const leaked = kidOf(user.accessToken);
      let done = false;
      let writes = 0;
      // The serving process commits now and then (sessions, audit log, rate limits…): here, every 1 ms.
      const writer = (async () => {
        while (!done) {
          await a.ctx.db.updateTable('users').set({ name: `n${writes++}` }).where('id', '=', user.id).execute();
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      let outcome: Awaited<ReturnType<typeof run>> | Error;
      try {
        outcome = await run('retire', leaked);
      } catch (error) {
        outcome = error as Error;
      } finally {
        done = true;
        await writer;
      }
      expect(outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : outcome.code).toBe(0);
    });
  });
});
