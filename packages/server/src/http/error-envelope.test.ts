import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signUp, STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { expectErrorEnvelope } from '../../test/setup/expect-envelope.js';

const json = { 'content-type': 'application/json' };

describe.each(dialects)('every failure is the §3.1 envelope (%s)', (dialect) => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    token = (await signUp(t)).accessToken;
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['GET', '/nope'],
    ['GET', '/v1/auth/nope'],
    ['POST', '/v1/users/x/y/z'],
    ['GET', '/v1'],
    ['DELETE', '/'],
  ])('%s %s: unknown route → 404 common/not-found, before any key check', async (method, url) => {
    const res = await t.request(method, url, { key: null });
    expectErrorEnvelope(res, 404, 'common/not-found');
  });

  it.each([
    ['GET', '/v1/auth/email/signup', 'POST'],
    ['PUT', '/health', 'GET'],
    ['POST', '/v1/auth/me', 'GET'],
    ['PATCH', '/v1/auth/sessions/abc', 'DELETE'],
  ])('%s %s: wrong method → 405 common/method-not-allowed with Allow', async (method, url, allow) => {
    const res = await t.request(method, url, { key: null });
    expectErrorEnvelope(res, 405, 'common/method-not-allowed');
    expect(String(res.headers.allow).split(', ')).toContain(allow);
  });

  it('a validation error carries the route family code and field details', async () => {
    const res = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email: 42, password: STRONG_PASSWORD, name: 'x' } });
    expectErrorEnvelope(res, 400, 'auth/validation-error');
    expect(res.body.error.details.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'email' })]));
  });

  it('a query out of range is a 400 in the family code', async () => {
    const res = await t.request('GET', '/v1/auth/sessions?page=0', { token });
    expectErrorEnvelope(res, 400, 'auth/validation-error');
    expect(res.body.error.details.fields[0].field).toBe('page');
  });

  it.each([
    ['truncated', '{"method":"password","email":'],
    ['trailing garbage', '{"method":"password"} x'],
    ['single quotes', "{'method':'password'}"],
    ['prototype pollution', '{"__proto__":{"admin":true},"method":"password","email":"a@b.co","password":"x","name":"x"}'],
    ['constructor pollution', '{"constructor":{"prototype":{"admin":true}},"method":"password"}'],
    ['a bare string', '"password"'],
    ['an array', '[1,2,3]'],
    ['null', 'null'],
    ['an empty body', ''],
  ])('malformed JSON (%s) → 400 auth/validation-error', async (_name, payload) => {
    const res = await t.request('POST', '/v1/auth/email/signup', { body: payload, headers: json });
    expectErrorEnvelope(res, 400, 'auth/validation-error');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('a body-less POST sent with Content-Type: application/json is not an error (A07 has no body)', async () => {
    const user = await signUp(t);
    const res = await t.request('POST', '/v1/auth/signout', { token: user.accessToken, headers: json, body: '' });
    expect(res.status).toBe(200);
  });

  it.each([
    ['text/plain', 'method=password'],
    ['application/x-www-form-urlencoded', 'method=password&email=a%40b.co'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="method"\r\n\r\npassword\r\n--x--'],
    ['application/xml', '<method>password</method>'],
  ])('Content-Type %s → 415 common/unsupported-media-type', async (type, payload) => {
    const res = await t.request('POST', '/v1/auth/email/signin', { body: payload, headers: { 'content-type': type } });
    expectErrorEnvelope(res, 415, 'common/unsupported-media-type');
  });

  it('a body without Content-Type → 415', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/email/signin', headers: { 'x-api-key': (t.ctx.config.bootstrapPublishableKey as string) }, payload: Buffer.from('{"a":1}') });
    expectErrorEnvelope({ status: res.statusCode, body: res.json(), headers: res.headers }, 415, 'common/unsupported-media-type');
  });

  it('a body over the default 1 MiB → 413 common/payload-too-large, nothing created', async () => {
    const before = await countUsers(t);
    const email = uniqueEmail();
    const payload = JSON.stringify({ method: 'password', email, password: STRONG_PASSWORD, name: 'x', pad: 'x'.repeat(1024 * 1024) });
    const res = await t.request('POST', '/v1/auth/email/signup', { body: payload, headers: json });
    expectErrorEnvelope(res, 413, 'common/payload-too-large');
    expect(await countUsers(t)).toBe(before);
  });

  it('a percent-encoding that does not decode → 400 in the family code', async () => {
    const res = await t.request('DELETE', '/v1/auth/sessions/%E0%A4%A', { token });
    expectErrorEnvelope(res, 400, 'auth/validation-error');
  });

  it('a path parameter over the length limit → 400 in the family code', async () => {
    const res = await t.request('DELETE', `/v1/auth/sessions/${'a'.repeat(300)}`, { token });
    expectErrorEnvelope(res, 400, 'auth/validation-error');
  });

  it.each([
    ['missing key', null, 401, 'auth/unauthorized'],
    ['malformed key', 'pk_nothex', 401, 'auth/invalid-token-format'],
    ['unknown key', `pk_${'0'.repeat(64)}`, 401, 'auth/invalid-token'],
  ])('%s → 401 with its own code', async (_name, key, status, code) => {
    const res = await t.request('GET', '/v1/auth/me', { key, token });
    expectErrorEnvelope(res, status, code);
  });

  it('a bad bearer token → 401 auth/invalid-token in the envelope', async () => {
    expectErrorEnvelope(await t.request('GET', '/v1/auth/me', { token: 'not.a.jwt' }), 401, 'auth/invalid-token');
  });
});

describe.each(dialects)('request ids (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('echoes a plain X-Request-Id', async () => {
    const res = await t.request('GET', '/health', { headers: { 'x-request-id': 'trace-42.abc_DEF' } });
    expect(res.headers['x-request-id']).toBe('trace-42.abc_DEF');
  });

  it('generates a fresh id per request when none is sent', async () => {
    const a = await t.request('GET', '/health');
    const b = await t.request('GET', '/health');
    expect(a.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it.each([['<script>'], ['a'.repeat(65)], ['two words'], ['id\u00e9']])('replaces an unsafe id %j (log injection)', async (given) => {
    const res = await t.request('GET', '/health', { headers: { 'x-request-id': given } });
    expect(res.headers['x-request-id']).not.toBe(given);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps the id on errors and in the logs', async () => {
    const res = await t.request('GET', '/v1/auth/missing', { headers: { 'x-request-id': 'err-trace-1' } });
    expect(res.status).toBe(404);
    expect(res.headers['x-request-id']).toBe('err-trace-1');
    expect(t.logs.some((line) => JSON.parse(line).reqId === 'err-trace-1')).toBe(true);
  });
});

describe.each(dialects)('an unexpected failure (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    // The storage breaks under the running app (a dropped table stands for any internal fault).
    await sql`alter table users rename to users_gone`.execute(t.ctx.db);
  });
  afterAll(async () => {
    await sql`alter table users_gone rename to users`.execute(t.ctx.db);
    await t.close();
  });

  it('is a 500 common/internal-error whose cause is logged, never sent', async () => {
    const res = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: uniqueEmail(), password: 'whatever-1' } });
    expectErrorEnvelope(res, 500, 'common/internal-error');
    expect(res.body.message).toBe('Internal server error');
    expect(JSON.stringify(res.body)).not.toContain('users');
    expect(t.logs.some((line) => line.includes('"level":50') && line.includes('users'))).toBe(true);
  });

  it('at warn (no request lines, no per-request child logger) the error line still carries the request id', async () => {
    const quiet = await createTestApp(dialect, { logLevel: 'warn' });
    try {
      await sql`alter table users rename to users_gone`.execute(quiet.ctx.db);
      const res = await quiet.request('POST', '/v1/auth/email/signin', {
        body: { method: 'password', email: uniqueEmail(), password: 'whatever-1' },
        headers: { 'x-request-id': 'warn-trace-1' },
      });
      expectErrorEnvelope(res, 500, 'common/internal-error');
      const lines = quiet.logs.map((line) => JSON.parse(line));
      expect(lines.some((line) => line.level === 50 && line.reqId === 'warn-trace-1')).toBe(true);
      expect(lines.some((line) => line.msg === 'incoming request')).toBe(false);
    } finally {
      await sql`alter table users_gone rename to users`.execute(quiet.ctx.db);
      await quiet.close();
    }
  });

  it('leaves /health answering: the database itself still answers', async () => {
    const res = await t.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: 'ok', dialect });
  });
});

describe('/health', () => {
  it('answers 503 degraded when the database is gone, 200 before', async () => {
    const t = await createTestApp('sqlite');
    try {
      const ok = await t.request('GET', '/health', { key: null });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ status: 'ok', database: 'ok', dialect: 'sqlite' });
      await t.ctx.db.destroy();
      const down = await t.request('GET', '/health', { key: null });
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ status: 'degraded', database: 'unreachable', dialect: 'sqlite' });
    } finally {
      await t.app.close();
    }
  });
});

async function countUsers(t: TestApp): Promise<number> {
  const row = await t.ctx.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
