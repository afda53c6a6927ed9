import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, postgresOnly, type TestDatabase } from '../helpers/databases.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/factories.js';
import { BUILT, spawnServer, type ServerProcess } from '../helpers/server-process.js';
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

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const env = { ...testEnv(database.url), LATCH_LOG_LEVEL: 'warn', LATCH_RATE_LIMIT: 'off' };
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
});
