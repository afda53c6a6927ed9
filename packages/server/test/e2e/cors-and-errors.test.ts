import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/factories.js';
import { TEST_PK } from '../helpers/test-app.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { expectErrorEnvelope } from '../setup/expect-envelope.js';

/**
 * auth-api.md §1.2 over a real socket: preflights are answered (204) before any key, auth or rate-limit
 * check, and every response — errors included — carries Access-Control-Allow-Origin and exposes
 * Retry-After and X-RateLimit-*. A browser that gets a 401 without them sees only "Failed to fetch".
 */
const ORIGIN = 'https://app.example.test';
const signUpBody = () => ({ method: 'password', email: uniqueEmail('cors'), password: STRONG_PASSWORD, name: 'Cors' });

function expectCors(headers: Headers): void {
  expect(headers.get('access-control-allow-origin')).toBe('*');
  const exposed = (headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
  expect(exposed).toEqual(expect.arrayContaining(['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining']));
  expect(headers.get('access-control-allow-credentials')).toBeNull();
}

describe.each(dialects)('CORS and errors over a socket (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(dialect, { env: { LATCH_RATE_SIGNUP_IP: '2/3600', LATCH_BODY_LIMIT: '4096' } });
  });
  afterAll(async () => {
    await server.close();
  });

  async function raw(method: string, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
    const res = await fetch(`${server.url}${path}`, { ...init, method, headers: { origin: ORIGIN, ...init.headers } });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  }

  it('answers every preflight with 204, no key needed, the documented methods and headers', async () => {
    const routes = server.app.routeCatalog.filter((r) => r.url.startsWith('/v1/') && r.method !== 'HEAD');
    for (const route of routes) {
      const path = route.url.replace(/:(\w+)/g, 'x');
      const res = await raw('OPTIONS', path, { headers: { 'access-control-request-method': route.method, 'access-control-request-headers': 'x-api-key, authorization, content-type' } });
      expect({ route: `${route.method} ${route.url}`, status: res.status }).toEqual({ route: `${route.method} ${route.url}`, status: 204 });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const methods = (res.headers.get('access-control-allow-methods') ?? '').split(/\s*,\s*/);
      expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']));
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
      expect(allowed).toEqual(expect.arrayContaining(['x-api-key', 'authorization', 'content-type']));
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('does not spend rate-limit budget on preflights', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await raw('OPTIONS', '/v1/auth/email/signup', { headers: { 'access-control-request-method': 'POST' } })).status).toBe(204);
    }
    const res = await server.call('POST', '/v1/auth/email/signup', { body: signUpBody(), headers: { origin: ORIGIN } });
    expect(res.status).toBe(201);
    expectCors(res.headers);
  });

  it('carries the CORS headers on successes and on 401, 404, 405, 413, 415, 400, 429', async () => {
    const cases: Array<[string, () => Promise<{ status: number; headers: Headers; body: any }>, number, string | null]> = [
      ['health', () => raw('GET', '/health'), 200, null],
      ['missing key', () => raw('POST', '/v1/auth/email/signup', { headers: { 'content-type': 'application/json' }, body: '{}' }), 401, 'auth/unauthorized'],
      ['bad token', () => raw('GET', '/v1/auth/me', { headers: { 'x-api-key': TEST_PK, authorization: 'Bearer nope' } }), 401, 'auth/invalid-token'],
      ['unknown route', () => raw('GET', '/v1/auth/nothing-here'), 404, 'common/not-found'],
      ['wrong method', () => raw('PUT', '/v1/auth/email/signup', { headers: { 'x-api-key': TEST_PK } }), 405, 'common/method-not-allowed'],
      ['body too large', () => raw('POST', '/v1/auth/email/signup', { headers: { 'x-api-key': TEST_PK, 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(5000) }) }), 413, 'common/payload-too-large'],
      ['wrong content type', () => raw('POST', '/v1/auth/email/signup', { headers: { 'x-api-key': TEST_PK, 'content-type': 'text/plain' }, body: 'hi' }), 415, 'common/unsupported-media-type'],
      ['malformed JSON', () => raw('POST', '/v1/auth/email/signup', { headers: { 'x-api-key': TEST_PK, 'content-type': 'application/json' }, body: '{"method":' }), 400, 'auth/validation-error'],
      ['undecodable path', () => raw('DELETE', '/v1/auth/sessions/%E0%A4%A', { headers: { 'x-api-key': TEST_PK } }), 400, 'auth/validation-error'],
    ];
    for (const [name, send, status, code] of cases) {
      const res = await send();
      expect({ name, status: res.status }).toEqual({ name, status });
      expectCors(res.headers);
      if (code) expectErrorEnvelope(res, status, code);
    }
    // The sign-up budget is 2 per hour here; one was spent above.
    await server.call('POST', '/v1/auth/email/signup', { body: signUpBody() });
    const limited = await raw('POST', '/v1/auth/email/signup', { headers: { 'x-api-key': TEST_PK, 'content-type': 'application/json' }, body: JSON.stringify(signUpBody()) });
    expectErrorEnvelope(limited, 429, 'auth/too-many-requests');
    expectCors(limited.headers);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('x-ratelimit-limit')).toBe('2');
  });

  it('refuses an oversized chunked body (no Content-Length) with 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 16) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await raw('POST', '/v1/auth/email/signup', { headers: { 'x-api-key': TEST_PK, 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit & { headers: Record<string, string> });
    expectErrorEnvelope(res, 413, 'common/payload-too-large');
  });

  it('echoes X-Request-Id over the socket', async () => {
    const res = await raw('GET', '/health', { headers: { 'x-request-id': 'socket-trace-9' } });
    expect(res.headers.get('x-request-id')).toBe('socket-trace-9');
    expect((await raw('GET', '/health')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps CORS and the envelope on a 500, with nothing internal in the body', async () => {
    await sql`alter table users rename to users_moved`.execute(server.ctx.db);
    try {
      const res = await raw('POST', '/v1/auth/email/signin', { headers: { 'x-api-key': TEST_PK, 'content-type': 'application/json' }, body: JSON.stringify({ method: 'password', email: uniqueEmail(), password: 'x' }) });
      expectErrorEnvelope(res, 500, 'common/internal-error');
      expectCors(res.headers);
    } finally {
      await sql`alter table users_moved rename to users`.execute(server.ctx.db);
    }
  });
});
