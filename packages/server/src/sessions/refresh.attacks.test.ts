import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSessionMaintenance } from './maintenance.js';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

async function refresh(t: TestApp, refreshToken: string) {
  return t.request('POST', '/v1/auth/refresh', { body: { refreshToken } });
}

describe.each(dialects)('refresh-token reuse (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect); // default reuse interval: 10 s
  });
  afterAll(async () => {
    await t.close();
  });

  it('inside the interval a rotated token gets the session’s current pair, and nothing is revoked', async () => {
    const user = await signUp(t);
    const first = await refresh(t, user.refreshToken);
    t.clock.advanceSeconds(9);
    const replay = await refresh(t, user.refreshToken);
    expect(replay.status).toBe(200);
    expect(replay.body.refreshToken).toBe(first.body.refreshToken);
    expect(replay.body.accessToken).not.toBe(first.body.accessToken);
    expect((await t.request('GET', '/v1/auth/me', { token: replay.body.accessToken })).status).toBe(200);
    // The chain goes on from the current token.
    expect((await refresh(t, first.body.refreshToken)).status).toBe(200);
  });

  it('after the interval, reuse revokes every session of the user and is committed despite the 401', async () => {
    const user = await signUp(t);
    const laptop = await signIn(t, user.email, user.password);
    const bystander = await signUp(t);
    const rotated = await refresh(t, user.refreshToken);
    t.clock.advanceSeconds(11);
    const reuse = await refresh(t, user.refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('auth/invalid-refresh-token');
    for (const token of [rotated.body.accessToken, laptop.body.accessToken]) {
      expect((await t.request('GET', '/v1/auth/me', { token })).body.code).toBe('auth/invalid-token');
    }
    expect((await refresh(t, rotated.body.refreshToken)).body.code).toBe('auth/invalid-refresh-token');
    expect((await refresh(t, laptop.body.refreshToken)).body.code).toBe('auth/invalid-refresh-token');
    const live = await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).where('revoked_at', 'is', null).execute();
    expect(live).toHaveLength(0);
    const reasons = await t.ctx.db.selectFrom('sessions').select('revoked_reason').where('user_id', '=', user.id).execute();
    expect(new Set(reasons.map((r) => r.revoked_reason))).toEqual(new Set(['refresh_token_reuse']));
    expect((await t.request('GET', '/v1/auth/me', { token: bystander.accessToken })).status).toBe(200);
    const events = await t.ctx.db.selectFrom('audit_log').select(['event', 'details']).where('user_id', '=', user.id).where('event', 'in', ['session.refresh_reuse_detected', 'session.revoked']).execute();
    expect(events.map((e) => e.event).sort()).toEqual(['session.refresh_reuse_detected', 'session.revoked']);
    expect(JSON.parse(events.find((e) => e.event === 'session.revoked')!.details!)).toEqual({ reason: 'refresh_token_reuse', count: 2 });
    // The user can still sign in afresh.
    expect((await signIn(t, user.email, user.password)).status).toBe(200);
  });

  it('an older generation of the chain is reuse too, once its interval is over', async () => {
    const user = await signUp(t);
    const g1 = await refresh(t, user.refreshToken);
    t.clock.advanceSeconds(20);
    const g2 = await refresh(t, g1.body.refreshToken);
    expect(g2.status).toBe(200);
    const reuse = await refresh(t, user.refreshToken);
    expect(reuse.body.code).toBe('auth/invalid-refresh-token');
    expect((await t.request('GET', '/v1/auth/me', { token: g2.body.accessToken })).status).toBe(401);
  });

  it('a replay inside the interval of a session that was signed out is refused', async () => {
    const user = await signUp(t);
    await refresh(t, user.refreshToken);
    const current = await signIn(t, user.email, user.password);
    const list = await t.request('GET', '/v1/auth/sessions', { token: current.body.accessToken });
    const first = list.body.items.find((s: { current: boolean }) => !s.current);
    await t.request('DELETE', `/v1/auth/sessions/${first.id}`, { token: current.body.accessToken });
    const replay = await refresh(t, user.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('auth/invalid-refresh-token');
  });

  it('concurrent refreshes of one token on one instance keep one chain and one session', async () => {
    const user = await signUp(t);
    const answers = await Promise.all(Array.from({ length: 6 }, () => refresh(t, user.refreshToken)));
    for (const res of answers) expect(res.status).toBe(200);
    expect(new Set(answers.map((r) => r.body.refreshToken)).size).toBe(1);
    const sessions = await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).where('revoked_at', 'is', null).execute();
    expect(sessions).toHaveLength(1);
    expect((await refresh(t, answers[0].body.refreshToken)).status).toBe(200);
  });

  it('the sealed copy of the current token is wiped from storage where it is not needed', async () => {
    const user = await signUp(t);
    const res = await refresh(t, user.refreshToken);
    const row = await t.ctx.db.selectFrom('sessions').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.current_token_sealed).not.toContain(res.body.refreshToken);
    expect(row.refresh_token_hash).not.toBe(res.body.refreshToken);
    const retired = await t.ctx.db.selectFrom('retired_refresh_tokens').selectAll().where('session_id', '=', row.id).execute();
    expect(JSON.stringify(retired)).not.toContain(user.refreshToken);
    // Kept through the reuse interval, wiped by maintenance once it is over.
    t.clock.advanceSeconds(5);
    await runSessionMaintenance(t.ctx);
    expect((await t.ctx.db.selectFrom('sessions').select('current_token_sealed').where('id', '=', row.id).executeTakeFirstOrThrow()).current_token_sealed).not.toBeNull();
    t.clock.advanceSeconds(6);
    expect((await runSessionMaintenance(t.ctx)).wiped).toBeGreaterThanOrEqual(1);
    expect((await t.ctx.db.selectFrom('sessions').select('current_token_sealed').where('id', '=', row.id).executeTakeFirstOrThrow()).current_token_sealed).toBeNull();
    // Once the interval is over a replay is reuse, sealed copy or not.
    expect((await refresh(t, user.refreshToken)).body.code).toBe('auth/invalid-refresh-token');
  });

  it('maintenance deletes sessions a day after they expired, with their retired hashes', async () => {
    const user = await signUp(t);
    await refresh(t, user.refreshToken);
    t.clock.advanceSeconds(7 * 86_400 + 86_400 + 1);
    await runSessionMaintenance(t.ctx);
    expect(await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()).toHaveLength(0);
    expect(await t.ctx.db.selectFrom('retired_refresh_tokens').select('token_hash').where('user_id', '=', user.id).execute()).toHaveLength(0);
  });

  it('a banned user’s refresh answers 403 auth/account-banned (ban checked before the session state)', async () => {
    const user = await signUp(t);
    await t.ctx.db.updateTable('users').set({ banned_at: t.clock.now() }).where('id', '=', user.id).execute();
    await t.ctx.db.updateTable('sessions').set({ revoked_at: t.clock.now() }).where('user_id', '=', user.id).execute();
    const res = await refresh(t, user.refreshToken);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('auth/account-banned');
  });
});

describe.each(dialects)('strict single use: LATCH_REFRESH_REUSE_INTERVAL=0 (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: { LATCH_REFRESH_REUSE_INTERVAL: '0' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('any second use revokes everything, and no sealed token is kept', async () => {
    const user = await signUp(t);
    const first = await refresh(t, user.refreshToken);
    const row = await t.ctx.db.selectFrom('sessions').select('current_token_sealed').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.current_token_sealed).toBeNull();
    const replay = await refresh(t, user.refreshToken);
    expect(replay.body.code).toBe('auth/invalid-refresh-token');
    expect((await t.request('GET', '/v1/auth/me', { token: first.body.accessToken })).status).toBe(401);
  });
});

describe.each(dialects)('refresh rate limit per session (%s)', (dialect) => {
  it('the 4th refresh in the window answers 429 with Retry-After', async () => {
    const t = await createTestApp(dialect, { env: { LATCH_RATE_REFRESH_SESSION: '3/60' } });
    try {
      const user = await signUp(t);
      let token = user.refreshToken;
      for (let i = 0; i < 3; i++) {
        const res = await refresh(t, token);
        expect(res.status).toBe(200);
        token = res.body.refreshToken;
      }
      const limited = await refresh(t, token);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('auth/too-many-requests');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another user's session has its own budget.
      const other = await signUp(t);
      expect((await refresh(t, other.refreshToken)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
