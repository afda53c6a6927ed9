import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeKey } from '../api-keys/api-keys.js';
import { settleDeliveries } from '../email-flows/delivery.js';
import { linkIn, RecordingMailer, ROOMY_EMAIL_LIMITS } from '../../test/helpers/recording-mailer.js';
import { MAINTENANCE_JOBS } from '../maintenance/jobs.js';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { recordAudit } from './record.js';
import { purgeAuditLog } from './retention.js';

const admin = { key: TEST_SK };
const DAY = 86_400_000;

describe.each(dialects)('audit log: each security event exactly once per action, never a secret (%s)', (dialect) => {
  let t: TestApp;
  const mailer = new RecordingMailer();

  beforeAll(async () => {
    t = await createTestApp(dialect, { mailer, env: ROOMY_EMAIL_LIMITS, logLevel: 'debug' });
  });
  afterAll(async () => {
    await t.close();
  });

  async function events(userId?: string): Promise<string[]> {
    let query = t.ctx.db.selectFrom('audit_log').select('event');
    if (userId) query = query.where('user_id', '=', userId);
    return (await query.execute()).map((row) => row.event);
  }

  /** The events one action added for the user, sorted (a multiset difference: ids in one millisecond are unordered). */
  async function added(userId: string | undefined, action: () => Promise<unknown>): Promise<string[]> {
    await settleDeliveries(t.ctx);
    const before = await events(userId);
    await action();
    await settleDeliveries(t.ctx);
    const after = await events(userId);
    for (const event of before) after.splice(after.indexOf(event), 1);
    return after.sort();
  }

  it('records every documented event once per action, with time, user, IP, user agent and outcome', async () => {
    const secrets: string[] = [];
    const email = uniqueEmail('audited');
    const password = 'Audit-Trail-Pass-1!';
    secrets.push(password);
    let userId = '';
    const headers = { 'user-agent': 'AuditTest/1.0' };

    expect(
      await added(undefined, async () => {
        const res = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password, name: 'Audited' }, ip: '198.51.100.7', headers });
        secrets.push(res.body.accessToken, res.body.refreshToken);
        userId = (await t.request('GET', '/v1/auth/me', { token: res.body.accessToken })).body.id;
      }),
    ).toEqual(['user.signed_up']);

    let refreshToken = '';
    expect(
      await added(userId, async () => {
        const res = await signIn(t, email, password);
        secrets.push(res.body.accessToken, res.body.refreshToken);
        refreshToken = res.body.refreshToken;
      }),
    ).toEqual(['user.signed_in']);
    const wrong = 'Not-The-Password-9!';
    secrets.push(wrong);
    expect(await added(userId, () => signIn(t, email, wrong))).toEqual(['user.sign_in_failed']);

    // Refresh-token reuse after the reuse interval: detected once, every session revoked once.
    const rotated = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken } });
    secrets.push(rotated.body.accessToken, rotated.body.refreshToken);
    t.clock.advance(11_000);
    expect(await added(userId, () => t.request('POST', '/v1/auth/refresh', { body: { refreshToken } }))).toEqual(['session.refresh_reuse_detected', 'session.revoked']);

    const session = await signIn(t, email, password);
    secrets.push(session.body.accessToken, session.body.refreshToken);
    expect(await added(userId, () => t.request('POST', '/v1/auth/signout', { token: session.body.accessToken }))).toEqual(['session.revoked']);

    const changed = 'Changed-Password-22!';
    secrets.push(changed);
    const forChange = await signIn(t, email, password);
    secrets.push(forChange.body.accessToken, forChange.body.refreshToken);
    expect(
      await added(userId, () => t.request('POST', '/v1/auth/password/change', { token: forChange.body.accessToken, body: { currentPassword: password, newPassword: changed } })),
    ).toEqual(['password.changed', 'session.revoked']);

    await t.request('POST', '/v1/auth/password/reset/request', { body: { email, callbackUrl: 'http://localhost:3000/reset' } });
    await settleDeliveries(t.ctx);
    const resetToken = linkIn(mailer.last(email, 'password_reset')).searchParams.get('token')!;
    const reset = 'Reset-Password-333!';
    secrets.push(resetToken, reset);
    expect(
      await added(userId, () => t.request('POST', '/v1/auth/password/reset/confirm', { body: { email, token: resetToken, newPassword: reset } })),
    ).toEqual(['password.reset', 'session.revoked']);

    await t.request('POST', '/v1/auth/signup/email/resend', { body: { email } });
    await settleDeliveries(t.ctx);
    // The reset already verified the address (OP-38); a fresh account shows email.verified.
    const other = await signUp(t);
    await settleDeliveries(t.ctx);
    const verifyLink = linkIn(mailer.last(other.email));
    secrets.push(verifyLink.searchParams.get('token')!, other.password, other.accessToken, other.refreshToken);
    expect(await added(other.id, () => t.request('GET', `${verifyLink.pathname}${verifyLink.search}`, { key: null }))).toEqual(['email.verified']);

    await t.request('POST', '/v1/auth/email/signin', { body: { method: 'magiclink', email, callbackUrl: 'http://localhost:3000/m' } });
    await settleDeliveries(t.ctx);
    const magicToken = linkIn(mailer.last(email, 'magic_link')).searchParams.get('token')!;
    secrets.push(magicToken);
    expect(
      await added(userId, async () => {
        const res = await t.request('POST', '/v1/auth/email/callback', { body: { token: magicToken } });
        secrets.push(res.body.accessToken, res.body.refreshToken);
      }),
    ).toEqual(['magic_link.used', 'user.signed_in']);

    const newcomer = uniqueEmail('magic-new');
    await t.request('POST', '/v1/auth/email/signup', { body: { method: 'magiclink', email: newcomer, callbackUrl: 'http://localhost:3000/m' } });
    await settleDeliveries(t.ctx);
    const newcomerToken = linkIn(mailer.last(newcomer)).searchParams.get('token')!;
    secrets.push(newcomerToken);
    expect(
      await added(undefined, async () => {
        const res = await t.request('POST', '/v1/auth/email/callback', { body: { token: newcomerToken } });
        secrets.push(res.body.accessToken, res.body.refreshToken);
      }),
    ).toEqual(['magic_link.used', 'user.signed_up']);

    let key = '';
    let keyId = '';
    expect(
      await added(undefined, async () => {
        const created = await createApiKey(t.ctx, { type: 'secret', name: 'audited-key' });
        key = created.key;
        keyId = created.record.id;
      }),
    ).toEqual(['api_key.created']);
    secrets.push(key, TEST_SK);
    expect(await added(undefined, () => revokeKey(t.ctx, keyId))).toEqual(['api_key.revoked']);

    // Shape of an entry: time, user, IP, user agent, outcome.
    const list = await t.request('GET', `/v1/admin/audit?userId=${userId}&event=user.signed_up`, admin);
    expect(list.body.items).toEqual([
      {
        id: expect.any(String),
        event: 'user.signed_up',
        outcome: 'success',
        userId,
        sessionId: expect.any(String),
        actor: 'user',
        ip: '198.51.100.7',
        userAgent: 'AuditTest/1.0',
        details: { method: 'password' },
        createdAt: new Date(t.clock.now() - 11_000).toISOString(),
      },
    ]);
    const failed = await t.request('GET', `/v1/admin/audit?userId=${userId}&event=user.sign_in_failed`, admin);
    expect(failed.body.items[0].outcome).toBe('failure');

    // Never a secret: neither in the audit log nor in anything logged.
    const rows = JSON.stringify(await t.ctx.db.selectFrom('audit_log').selectAll().execute());
    const logs = t.logs.join('\n');
    expect(logs.length).toBeGreaterThan(1000);
    for (const secret of secrets.filter(Boolean)) {
      expect(rows).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});

describe.each(dialects)('GET /v1/admin/audit and retention (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: { ...ROOMY_EMAIL_LIMITS, LATCH_AUDIT_RETENTION_DAYS: '30' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('filters by user, event and time (from inclusive, to exclusive), newest first, paged', async () => {
    const start = t.clock.now();
    for (let i = 0; i < 5; i++) {
      await recordAudit(t.ctx, { event: 'test.ping', userId: 'u-1', details: { i } });
      t.clock.advance(1000);
    }
    await recordAudit(t.ctx, { event: 'test.pong', userId: 'u-2' });
    const page1 = await t.request('GET', '/v1/admin/audit?event=test.ping&limit=2', admin);
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((i: { details: { i: number } }) => i.details.i)).toEqual([4, 3]);
    expect(page1.body.pagination).toEqual({ page: 1, limit: 2, total: 5, totalPages: 3, hasNext: true, hasPrev: false });
    const page3 = await t.request('GET', '/v1/admin/audit?event=test.ping&limit=2&page=3', admin);
    expect(page3.body.items.map((i: { details: { i: number } }) => i.details.i)).toEqual([0]);

    const from = new Date(start + 1000).toISOString();
    const to = new Date(start + 3000).toISOString();
    const window = await t.request('GET', `/v1/admin/audit?userId=u-1&from=${from}&to=${to}`, admin);
    expect(window.body.items.map((i: { details: { i: number } }) => i.details.i)).toEqual([2, 1]);
    const byUser = await t.request('GET', '/v1/admin/audit?userId=u-2', admin);
    expect(byUser.body.items.map((i: { event: string }) => i.event)).toEqual(['test.pong']);
  });

  it.each([
    ['/v1/admin/audit?limit=101', 400, 'common/invalid-parameters'],
    ['/v1/admin/audit?page=0', 400, 'common/invalid-parameters'],
    ['/v1/admin/audit?page=100000000000000000000', 400, 'common/invalid-parameters'],
    ['/v1/admin/outbox?page=100000000000000000000', 400, 'common/invalid-parameters'],
    ['/v1/admin/audit?from=yesterday', 400, 'common/invalid-parameters'],
  ])('%s → %i %s', async (url, status, code) => {
    const res = await t.request('GET', url, admin);
    expect([res.status, res.body.code]).toEqual([status, code]);
  });

  it('is for admins only', async () => {
    const user = await signUp(t);
    expect((await t.request('GET', '/v1/admin/audit')).status).toBe(401);
    const asUser = await t.request('GET', '/v1/admin/audit', { token: user.accessToken });
    expect([asUser.status, asUser.body.code]).toEqual([403, 'auth/forbidden']);
  });

  it('purges events older than LATCH_AUDIT_RETENTION_DAYS, as a maintenance job', async () => {
    expect(MAINTENANCE_JOBS.audit).toBe(purgeAuditLog);
    await recordAudit(t.ctx, { event: 'test.old', userId: 'u-retention' });
    t.clock.advance(20 * DAY);
    await recordAudit(t.ctx, { event: 'test.recent', userId: 'u-retention' });
    t.clock.advance(10 * DAY + 1);
    const { deleted } = await purgeAuditLog(t.ctx);
    expect(deleted).toBeGreaterThanOrEqual(1);
    const left = await t.ctx.db.selectFrom('audit_log').select('event').where('user_id', '=', 'u-retention').execute();
    expect(left.map((r) => r.event)).toEqual(['test.recent']);
    expect((await purgeAuditLog(t.ctx)).deleted).toBe(0);
  });
});

describe.each(dialects)('dev outbox endpoints, decisions.md §6 (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: ROOMY_EMAIL_LIMITS });
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists the dev mailer\'s messages by recipient and empties the outbox', async () => {
    const user = await signUp(t);
    await settleDeliveries(t.ctx);
    const res = await t.request('GET', `/v1/admin/outbox?to=${encodeURIComponent(user.email.toUpperCase())}`, admin);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { id: expect.any(String), to: user.email, subject: 'Confirm your email address for Latch', template: 'signup_confirmation', text: expect.stringContaining('token='), html: expect.stringContaining('<html>'), createdAt: expect.any(String) },
    ]);
    expect(res.body.pagination.total).toBe(1);
    const cleared = await t.request('DELETE', '/v1/admin/outbox', admin);
    expect(cleared.body.deleted).toBeGreaterThanOrEqual(1);
    expect((await t.request('GET', '/v1/admin/outbox', admin)).body.items).toEqual([]);
    const asUser = await t.request('GET', '/v1/admin/outbox', { token: user.accessToken });
    expect(asUser.status).toBe(403);
  });
});
