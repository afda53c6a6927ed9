import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

/**
 * Per-IP budgets are only as good as the client IP: X-Forwarded-For is believed only from the proxies
 * LATCH_TRUST_PROXY names (decisions.md §6), so a direct caller cannot rotate a forged header to get a
 * fresh sign-up budget per request.
 */
const body = () => ({ method: 'password', email: uniqueEmail('ip'), password: STRONG_PASSWORD, name: 'Ip' });
const socketIp = () => `172.16.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

describe.each(dialects)('client IP behind proxies (%s)', (dialect) => {
  let direct: TestApp;
  let proxied: TestApp;
  beforeAll(async () => {
    direct = await createTestApp(dialect, { env: { LATCH_RATE_SIGNUP_IP: '1/3600' } });
    proxied = await createTestApp(dialect, { env: { LATCH_RATE_SIGNUP_IP: '1/3600', LATCH_TRUST_PROXY: '172.16.0.0/12' } });
  });
  afterAll(async () => {
    await direct.close();
    await proxied.close();
  });

  it('ignores a forged X-Forwarded-For without LATCH_TRUST_PROXY', async () => {
    const ip = socketIp();
    expect((await direct.request('POST', '/v1/auth/email/signup', { ip, body: body(), headers: { 'x-forwarded-for': '1.1.1.1' } })).status).toBe(201);
    const rotated = await direct.request('POST', '/v1/auth/email/signup', { ip, body: body(), headers: { 'x-forwarded-for': '2.2.2.2' } });
    expect({ status: rotated.status, code: rotated.body.code }).toEqual({ status: 429, code: 'auth/too-many-requests' });
  });

  it('uses the forwarded client address from a trusted proxy, one budget per client', async () => {
    const proxy = socketIp();
    expect((await proxied.request('POST', '/v1/auth/email/signup', { ip: proxy, body: body(), headers: { 'x-forwarded-for': '198.51.100.7' } })).status).toBe(201);
    expect((await proxied.request('POST', '/v1/auth/email/signup', { ip: proxy, body: body(), headers: { 'x-forwarded-for': '198.51.100.8' } })).status).toBe(201);
    expect((await proxied.request('POST', '/v1/auth/email/signup', { ip: proxy, body: body(), headers: { 'x-forwarded-for': '198.51.100.7' } })).status).toBe(429);
  });

  it('does not let a client prepend addresses to the chain a trusted proxy appends to', async () => {
    const proxy = socketIp();
    expect((await proxied.request('POST', '/v1/auth/email/signup', { ip: proxy, body: body(), headers: { 'x-forwarded-for': '203.0.113.50' } })).status).toBe(201);
    // The client sent "X-Forwarded-For: 9.9.9.9"; the proxy appended the real address.
    const res = await proxied.request('POST', '/v1/auth/email/signup', { ip: proxy, body: body(), headers: { 'x-forwarded-for': '9.9.9.9, 203.0.113.50' } });
    expect(res.status).toBe(429);
  });
});
