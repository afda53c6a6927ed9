import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../crypto/digest.js';
import { runSessionMaintenance } from './maintenance.js';
import { MAX_GENERATION, mintRefreshToken } from './refresh-token.js';
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

  it('inside the interval only the token just rotated gets the current pair: an earlier one is reuse', async () => {
    const user = await signUp(t);
    const g1 = await refresh(t, user.refreshToken);
    const g2 = await refresh(t, g1.body.refreshToken);
    t.clock.advanceSeconds(1);
    // g1 was rotated a second ago: a second tab that still holds it gets g2's pair.
    expect((await refresh(t, g1.body.refreshToken)).body.refreshToken).toBe(g2.body.refreshToken);
    // g0 is two rotations old: a stolen token replayed right after a rotation must not get the pair.
    const reuse = await refresh(t, user.refreshToken);
    expect(reuse.body.code).toBe('auth/invalid-refresh-token');
    expect((await t.request('GET', '/v1/auth/me', { token: g2.body.accessToken })).status).toBe(401);
  });

  it('a forged or mangled token is refused without touching the session it names', async () => {
    const user = await signUp(t);
    await refresh(t, (await refresh(t, user.refreshToken)).body.refreshToken);
    t.clock.advanceSeconds(60);
    const current = await refresh(t, (await signIn(t, user.email, user.password)).body.refreshToken);
    const sessions = await t.ctx.db.selectFrom('sessions').select(['id', 'refresh_generation']).where('user_id', '=', user.id).execute();
    const [chain] = sessions.filter((s) => s.refresh_generation === 2);
    const bytes = Buffer.from(current.body.refreshToken, 'base64url');
    // Another session's id and an earlier generation (which would be reuse and end every session), with
    // the MAC of the genuine token; then a flipped nonce bit, an old-format token and a cut one.
    const aimed = Buffer.from(bytes);
    aimed.write(chain.id.replaceAll('-', ''), 1, 16, 'hex');
    aimed.writeUInt32BE(0, 17);
    const nonce = Buffer.from(bytes);
    nonce[30] ^= 0xff;
    for (const forged of [aimed.toString('base64url'), nonce.toString('base64url'), current.body.refreshToken.slice(0, 43), current.body.refreshToken.slice(0, -4)]) {
      const res = await refresh(t, forged);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth/invalid-refresh-token');
    }
    expect((await t.request('GET', '/v1/auth/me', { token: current.body.accessToken })).status).toBe(200);
    expect((await refresh(t, current.body.refreshToken)).status).toBe(200);
    const live = await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).where('revoked_at', 'is', null).execute();
    expect(live).toHaveLength(2);
  });

  it('a token with a valid MAC but not the one issued (a leaked MAC key) is refused: the stored hash decides', async () => {
    const user = await signUp(t);
    const row = await t.ctx.db.selectFrom('sessions').select(['id', 'refresh_generation']).where('user_id', '=', user.id).executeTakeFirstOrThrow();
    const forged = mintRefreshToken(t.ctx.sealer.macKey('refresh-token'), row.id, row.refresh_generation);
    expect(forged).not.toBe(user.refreshToken);
    const res = await refresh(t, forged);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth/invalid-refresh-token');
    // Nothing rotated or revoked: the issued token still works.
    expect((await refresh(t, user.refreshToken)).status).toBe(200);
  });

  it('a chain whose generation counter is exhausted ends with 401 instead of wrapping round to an old generation', async () => {
    const user = await signUp(t);
    const row = await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    // The last generation a session can reach, as if it had been refreshed that often.
    const last = mintRefreshToken(t.ctx.sealer.macKey('refresh-token'), row.id, MAX_GENERATION);
    await t.ctx.db.updateTable('sessions').set({ refresh_generation: MAX_GENERATION, refresh_token_hash: sha256Hex(last) }).where('id', '=', row.id).execute();
    const res = await refresh(t, last);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth/invalid-refresh-token');
    const after = await t.ctx.db.selectFrom('sessions').select(['refresh_generation', 'refresh_token_hash', 'revoked_at']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ refresh_generation: MAX_GENERATION, refresh_token_hash: sha256Hex(last), revoked_at: null });
    // One generation below, the same chain still rotates (the guard is the boundary, not a general refusal).
    const previous = mintRefreshToken(t.ctx.sealer.macKey('refresh-token'), row.id, MAX_GENERATION - 1);
    await t.ctx.db.updateTable('sessions').set({ refresh_generation: MAX_GENERATION - 1, refresh_token_hash: sha256Hex(previous) }).where('id', '=', row.id).execute();
    const rotated = await refresh(t, previous);
    expect(rotated.status).toBe(200);
    expect(Number((await t.ctx.db.selectFrom('sessions').select('refresh_generation').where('id', '=', row.id).executeTakeFirstOrThrow()).refresh_generation)).toBe(MAX_GENERATION);
  });

  it('a token of another server (another LATCH_SECRET) is refused', async () => {
    const other = await createTestApp(dialect, { env: { LATCH_SECRET: 'another-secret-of-at-least-32-characters-long!!' } });
    try {
      const stranger = await signUp(other);
      const res = await refresh(t, stranger.refreshToken);
      expect(res.body.code).toBe('auth/invalid-refresh-token');
    } finally {
      await other.close();
    }
  });

  it('a replay inside the interval of a session that was ended (A14) is refused, and ends nothing else', async () => {
    const user = await signUp(t);
    await refresh(t, user.refreshToken);
    const current = await signIn(t, user.email, user.password);
    const list = await t.request('GET', '/v1/auth/sessions', { token: current.body.accessToken });
    const first = list.body.items.find((s: { current: boolean }) => !s.current);
    await t.request('DELETE', `/v1/auth/sessions/${first.id}`, { token: current.body.accessToken });
    const replay = await refresh(t, user.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('auth/invalid-refresh-token');
    // The ended session's other tab is no thief: the user's other device stays signed in (decisions.md §2).
    expect((await t.request('GET', '/v1/auth/me', { token: current.body.accessToken })).status).toBe(200);
  });

  it('a replay inside the interval of a session that was signed out (A07) ends nothing else either', async () => {
    const user = await signUp(t);
    const otherDevice = await signIn(t, user.email, user.password);
    const rotated = await refresh(t, user.refreshToken);
    await t.request('POST', '/v1/auth/signout', { token: rotated.body.accessToken });
    t.clock.advanceSeconds(2);
    const replay = await refresh(t, user.refreshToken);
    expect({ status: replay.status, code: replay.body.code }).toEqual({ status: 401, code: 'auth/invalid-refresh-token' });
    expect((await t.request('GET', '/v1/auth/me', { token: otherDevice.body.accessToken })).status).toBe(200);
    // Outside the interval the same replay is theft: every session of the user ends.
    const later = await signUp(t);
    const laterOther = await signIn(t, later.email, later.password);
    const laterRotated = await refresh(t, later.refreshToken);
    await t.request('POST', '/v1/auth/signout', { token: laterRotated.body.accessToken });
    t.clock.advanceSeconds(11);
    expect((await refresh(t, later.refreshToken)).status).toBe(401);
    expect((await t.request('GET', '/v1/auth/me', { token: laterOther.body.accessToken })).status).toBe(401);
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
    // Nothing is kept of a rotated token: the row holds the current token's hash and its generation.
    expect(row.refresh_token_hash).toBe(sha256Hex(res.body.refreshToken));
    expect(row.refresh_generation).toBe(1);
    expect(JSON.stringify(row)).not.toContain(user.refreshToken);
    expect(JSON.stringify(row)).not.toContain(res.body.refreshToken);
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

  it('maintenance deletes sessions a day after they expired', async () => {
    const user = await signUp(t);
    await refresh(t, user.refreshToken);
    t.clock.advanceSeconds(7 * 86_400 + 86_400 + 1);
    await runSessionMaintenance(t.ctx);
    expect(await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()).toHaveLength(0);
    // Their tokens, rotated or not, then name no session.
    expect((await refresh(t, user.refreshToken)).body.code).toBe('auth/invalid-refresh-token');
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
