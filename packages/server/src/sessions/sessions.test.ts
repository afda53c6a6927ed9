import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

describe.each(dialects)('A06 refresh, A07 sign-out, A13 list, A14 end (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('A06 rotates: a new pair each time, the session stays the same', async () => {
    const user = await signUp(t);
    const res = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
    expect(res.body.refreshToken).not.toBe(user.refreshToken);
    const me = await t.request('GET', '/v1/auth/me', { token: res.body.accessToken });
    expect(me.status).toBe(200);
    const sessions = await t.ctx.db.selectFrom('sessions').select(['id', 'refresh_token_hash']).where('user_id', '=', user.id).execute();
    expect(sessions).toHaveLength(1);
    const next = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: res.body.refreshToken } });
    expect(next.status).toBe(200);
  });

  it('A06 slides the 7-day window on each rotation and refuses an elapsed one with auth/session-expired', async () => {
    const user = await signUp(t);
    t.clock.advanceSeconds(6 * 86_400);
    const res = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } });
    expect(res.status).toBe(200);
    t.clock.advanceSeconds(6 * 86_400);
    const again = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: res.body.refreshToken } });
    expect(again.status).toBe(200);
    t.clock.advanceSeconds(7 * 86_400 + 1);
    const late = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: again.body.refreshToken } });
    expect(late.status).toBe(401);
    expect(late.body.code).toBe('auth/session-expired');
  });

  it.each([
    [{}, 400, 'auth/validation-error'],
    [{ refreshToken: 42 }, 400, 'auth/validation-error'],
    [{ refreshToken: '' }, 401, 'auth/invalid-refresh-token'],
    [{ refreshToken: 'x'.repeat(43) }, 401, 'auth/invalid-refresh-token'],
    [{ refreshToken: 'eyJhbGciOiJIUzI1NiJ9.e30.abc' }, 401, 'auth/invalid-refresh-token'],
  ])('A06 refuses %j with %i %s', async (body, status, code) => {
    const res = await t.request('POST', '/v1/auth/refresh', { body });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  });

  it('A06 and A02 ignore a stale Authorization header that a client interceptor attached', async () => {
    const user = await signUp(t);
    const headers = { authorization: 'Bearer expired.or.garbage' };
    const res = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken }, headers });
    expect(res.status).toBe(200);
    const signin = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: user.email, password: user.password }, headers });
    expect(signin.status).toBe(200);
  });

  it('A06 needs no Authorization header but does need the API key', async () => {
    const user = await signUp(t);
    const res = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken }, key: null });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth/unauthorized');
  });

  it('A07 ends only the calling session; a second call gets 401 auth/invalid-token', async () => {
    const user = await signUp(t);
    const other = await signIn(t, user.email, user.password);
    const res = await t.request('POST', '/v1/auth/signout', { token: user.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: expect.any(String) });
    const again = await t.request('POST', '/v1/auth/signout', { token: user.accessToken });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('auth/invalid-token');
    expect((await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } })).body.code).toBe('auth/invalid-refresh-token');
    expect((await t.request('GET', '/v1/auth/me', { token: other.body.accessToken })).status).toBe(200);
  });

  it('A13 lists live sessions newest activity first, with device labels, aliases and the current flag', async () => {
    const user = await signUp(t, { ip: '203.0.113.7' });
    t.clock.advanceSeconds(5);
    const second = await t.request('POST', '/v1/auth/email/signin', {
      body: { method: 'password', email: user.email, password: user.password },
      headers: { 'user-agent': CHROME_MAC },
      ip: '198.51.100.9',
    });
    t.clock.advanceSeconds(5);
    const third = await signIn(t, user.email, user.password);
    await t.request('POST', '/v1/auth/signout', { token: third.body.accessToken });

    const res = await t.request('GET', '/v1/auth/sessions', { token: second.body.accessToken });
    expect(res.status).toBe(200);
    expect(res.body.pagination).toEqual({ page: 1, limit: 10, total: 2, totalPages: 1, hasNext: false, hasPrev: false });
    const [newest, oldest] = res.body.items;
    expect(newest).toMatchObject({ current: true, ipAddress: '198.51.100.9', ip: '198.51.100.9', deviceInfo: 'Chrome on Mac OS 10.15.7', userAgent: CHROME_MAC });
    expect(newest.device).toBe(newest.deviceInfo);
    expect(newest.lastAccessedAt).toBe(newest.lastActivityAt);
    expect(oldest).toMatchObject({ current: false, ipAddress: '203.0.113.7' });
    expect(Object.keys(newest)).not.toContain('refreshTokenHash');

    const paged = await t.request('GET', '/v1/auth/sessions?page=2&limit=1', { token: second.body.accessToken });
    expect(paged.body.items).toHaveLength(1);
    expect(paged.body.items[0].id).toBe(oldest.id);
    expect(paged.body.pagination).toEqual({ page: 2, limit: 1, total: 2, totalPages: 2, hasNext: false, hasPrev: true });
  });

  it.each(['page=0', 'limit=0', 'limit=101', 'page=abc', 'page=1e20', 'page=1000001'])('A13 refuses out-of-range paging %s with 400', async (query) => {
    const user = await signUp(t);
    const res = await t.request('GET', `/v1/auth/sessions?${query}`, { token: user.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('auth/validation-error');
  });

  it('A14 ends one of my sessions; ending my own current one signs me out', async () => {
    const user = await signUp(t);
    const other = await signIn(t, user.email, user.password);
    const list = await t.request('GET', '/v1/auth/sessions', { token: user.accessToken });
    const otherId = list.body.items.find((s: { current: boolean }) => !s.current).id;
    const currentId = list.body.items.find((s: { current: boolean }) => s.current).id;
    expect((await t.request('DELETE', `/v1/auth/sessions/${otherId}`, { token: user.accessToken })).status).toBe(200);
    expect((await t.request('GET', '/v1/auth/me', { token: other.body.accessToken })).status).toBe(401);
    const gone = await t.request('DELETE', `/v1/auth/sessions/${otherId}`, { token: user.accessToken });
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('auth/session-not-found');
    expect((await t.request('DELETE', `/v1/auth/sessions/${currentId}`, { token: user.accessToken })).status).toBe(200);
    expect((await t.request('GET', '/v1/auth/me', { token: user.accessToken })).body.code).toBe('auth/invalid-token');
  });

  it('A14 answers 404 for another user’s session and leaves it alive (no probing of ids)', async () => {
    const alice = await signUp(t);
    const bob = await signUp(t);
    const bobSession = await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', bob.id).executeTakeFirstOrThrow();
    for (const id of [bobSession.id, '00000000-0000-7000-8000-000000000000', "' OR 1=1 --"]) {
      const res = await t.request('DELETE', `/v1/auth/sessions/${encodeURIComponent(id)}`, { token: alice.accessToken });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('auth/session-not-found');
    }
    expect((await t.request('GET', '/v1/auth/me', { token: bob.accessToken })).status).toBe(200);
  });

  it('records lastActivityAt at most once a minute outside refresh', async () => {
    const user = await signUp(t);
    const read = async () =>
      (await t.ctx.db.selectFrom('sessions').select('last_activity_at').where('user_id', '=', user.id).executeTakeFirstOrThrow()).last_activity_at;
    const start = await read();
    t.clock.advanceSeconds(30);
    await t.request('GET', '/v1/auth/me', { token: user.accessToken });
    expect(await read()).toBe(start);
    t.clock.advanceSeconds(31);
    await t.request('GET', '/v1/auth/me', { token: user.accessToken });
    await new Promise((r) => setTimeout(r, 50)); // the write is fire-and-forget
    expect(await read()).toBe(t.clock.now());
  });
});
