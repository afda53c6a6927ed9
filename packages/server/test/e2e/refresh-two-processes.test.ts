import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, postgresOnly, type TestDatabase } from '../helpers/databases.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/factories.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { BUILT, CLI, SERVER_PACKAGE, spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { TEST_PK, testEnv } from '../helpers/test-app.js';

const hasPostgres = dialects.includes('postgres');
if (!hasPostgres) console.warn('[latch tests] refresh-two-processes: SKIPPED, needs LATCH_TEST_POSTGRES_URL');
if (!BUILT) throw new Error('packages/server/dist is missing: run `npm run build` (npm ci does it through prepare)');

async function post(base: string, path: string, body: unknown) {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': TEST_PK }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/**
 * Issue 2: two concurrent refreshes of one token on two server processes sharing PostgreSQL —
 * one chain survives, no duplicate sessions (the rotation serialises on the session row).
 */
describe.each(postgresOnly())('two server processes sharing PostgreSQL (%s)', () => {
  let database: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // One deployment behind one public URL (the tokens' issuer), as instances behind a load balancer.
    env = { ...testEnv(database.url), LATCH_LOG_LEVEL: 'warn', LATCH_RATE_LIMIT: 'off', LATCH_PUBLIC_URL: 'http://latch.test' };
    a = await spawnServer(env);
    b = await spawnServer(env);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  it('concurrent refreshes of one token keep one chain and one session', async () => {
    const email = uniqueEmail('twoproc');
    const signup = await post(a.url, '/v1/auth/email/signup', { method: 'password', email, password: STRONG_PASSWORD, name: 'Two' });
    expect(signup.status).toBe(201);
    let token: string = signup.body.refreshToken;
    for (let round = 0; round < 15; round++) {
      const answers = await Promise.all([
        post(a.url, '/v1/auth/refresh', { refreshToken: token }),
        post(b.url, '/v1/auth/refresh', { refreshToken: token }),
        post(a.url, '/v1/auth/refresh', { refreshToken: token }),
        post(b.url, '/v1/auth/refresh', { refreshToken: token }),
      ]);
      for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const next = new Set(answers.map((x) => x.body.refreshToken));
      expect(next.size).toBe(1);
      token = [...next][0];
    }
    const me = await fetch(`${b.url}/v1/auth/me`, {
      headers: { 'x-api-key': TEST_PK, authorization: `Bearer ${(await post(b.url, '/v1/auth/refresh', { refreshToken: token })).body.accessToken}` },
    });
    expect(me.status).toBe(200);
    const user = await me.json();
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query('select count(*)::int as n from sessions where user_id = $1', [user.id]);
    await client.end();
    expect(rows[0].n).toBe(1);
  });

  it('a signing key retired from a shell (a leak) is refused by both processes within 5 s; then both sign with its replacement and accept each other\'s tokens', async () => {
    const me = (base: string, token: string) => fetch(`${base}/v1/auth/me`, { headers: { 'x-api-key': TEST_PK, authorization: `Bearer ${token}` } }).then((r) => r.status);
    const email = uniqueEmail('leak');
    const signup = await post(a.url, '/v1/auth/email/signup', { method: 'password', email, password: STRONG_PASSWORD, name: 'Leak' });
    const leaked = signup.body.accessToken as string;
    expect([await me(a.url, leaked), await me(b.url, leaked)]).toEqual([200, 200]);

    const run = await promisify(execFile)(process.execPath, [CLI, 'signing-keys', 'retire', decodeProtectedHeader(leaked).kid!], { cwd: SERVER_PACKAGE, env: { ...process.env, ...env } });
    const replacement = /new signing key ([0-9a-f]+), signing now/.exec(run.stdout)?.[1];
    expect(replacement, run.stdout + run.stderr).toBeDefined();
    const retiredAt = Date.now();

    // Both refuse the leaked key's token within the re-read interval (5 s), measured from the command.
    const refused = async (base: string) => {
      while ((await me(base, leaked)) !== 401) {
        if (Date.now() - retiredAt > 8_000) return false;
        await new Promise((r) => setTimeout(r, 100));
      }
      return true;
    };
    expect(await Promise.all([refused(a.url), refused(b.url)])).toEqual([true, true]);
    expect(Date.now() - retiredAt).toBeLessThan(7_000);

    // Sessions survive (refresh tokens are not signed): both processes now mint with the replacement.
    const fresh = await post(a.url, '/v1/auth/email/signin', { method: 'password', email, password: STRONG_PASSWORD });
    const refreshed = await post(b.url, '/v1/auth/refresh', { refreshToken: signup.body.refreshToken });
    expect(refreshed.status).toBe(200);
    for (const token of [fresh.body.accessToken, refreshed.body.accessToken]) {
      expect(decodeProtectedHeader(token).kid).toBe(replacement);
      expect([await me(a.url, token), await me(b.url, token)]).toEqual([200, 200]);
    }
    const jwks = await (await fetch(`${b.url}/.well-known/jwks.json`)).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([replacement]);
  }, 30_000);
});
