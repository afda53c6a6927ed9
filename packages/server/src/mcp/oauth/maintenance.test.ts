import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/databases.js';
import { signUp } from '../../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';
import { MAINTENANCE_JOBS } from '../../maintenance/jobs.js';
import { purgeMcpOauthTokens, UNUSED_CLIENT_DAYS } from './maintenance.js';

const DAY = 86_400_000;

describe.each(dialects)('MCP OAuth housekeeping (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('deletes codes and refresh tokens a day past their expiry, used or not, and keeps the rest', async () => {
    expect(MAINTENANCE_JOBS.mcpOauth).toBe(purgeMcpOauthTokens);
    const user = await signUp(t);
    const now = t.clock.now();
    const db = t.ctx.db;
    await db.insertInto('mcp_oauth_clients').values({ id: `client-${user.id}`, name: 'Agent', redirect_uris: '["http://127.0.0.1:9/cb"]', created_at: now }).execute();
    const grant = `grant-${user.id}`;
    await db.insertInto('mcp_oauth_grants').values({ id: grant, client_id: `client-${user.id}`, user_id: user.id, scope: 'docs:read', created_at: now, revoked_at: null, revoked_reason: null }).execute();
    const code = (name: string, expiresAt: number, usedAt: number | null) => ({
      code_hash: `${name}-${user.id}`, client_id: `client-${user.id}`, user_id: user.id, redirect_uri: 'http://127.0.0.1:9/cb',
      code_challenge: 'c', scope: 'docs:read', resource: null, created_at: expiresAt - 600_000, expires_at: expiresAt, used_at: usedAt, grant_id: null,
    });
    await db.insertInto('mcp_oauth_codes').values([
      code('old-used', now - DAY - 1, now - DAY - 60_000),
      code('old-unused', now - 2 * DAY, null),
      code('just-expired', now - 60_000, now - 120_000),
      code('live', now + 60_000, null),
    ]).execute();
    const token = (name: string, expiresAt: number, usedAt: number | null) => ({ token_hash: `${name}-${user.id}`, grant_id: grant, created_at: expiresAt - 30 * DAY, expires_at: expiresAt, used_at: usedAt });
    await db.insertInto('mcp_oauth_refresh_tokens').values([
      token('old-used', now - DAY - 1, now - 40 * DAY),
      token('just-expired', now - 1, null),
      token('rotated-live', now + DAY, now - 60_000),
    ]).execute();

    expect(await purgeMcpOauthTokens(t.ctx)).toEqual({ codes: 2, refreshTokens: 1, clients: 0 });
    const codes = (await db.selectFrom('mcp_oauth_codes').select('code_hash').where('user_id', '=', user.id).execute()).map((r) => r.code_hash).sort();
    expect(codes).toEqual([`just-expired-${user.id}`, `live-${user.id}`]);
    const tokens = (await db.selectFrom('mcp_oauth_refresh_tokens').select('token_hash').where('grant_id', '=', grant).execute()).map((r) => r.token_hash).sort();
    expect(tokens).toEqual([`just-expired-${user.id}`, `rotated-live-${user.id}`]);

    t.clock.advance(DAY + 1);
    expect(await purgeMcpOauthTokens(t.ctx)).toEqual({ codes: 1, refreshTokens: 1, clients: 0 });
  });

  it(`deletes a registered client nobody approved ${UNUSED_CLIENT_DAYS} days on, once it has no code left; an approved one stays`, async () => {
    const user = await signUp(t);
    const db = t.ctx.db;
    const now = t.clock.now();
    const client = (name: string, registeredDaysAgo: number) => ({ id: `${name}-${user.id}`, name, redirect_uris: '["http://127.0.0.1:9/cb"]', created_at: now - registeredDaysAgo * DAY });
    await db.insertInto('mcp_oauth_clients').values([
      client('abandoned', UNUSED_CLIENT_DAYS + 1),
      client('young', UNUSED_CLIENT_DAYS - 1.5),
      client('approved-then-revoked', 2 * UNUSED_CLIENT_DAYS),
      client('mid-authorization', UNUSED_CLIENT_DAYS + 1),
    ]).execute();
    await db.insertInto('mcp_oauth_grants').values({
      id: `grant-revoked-${user.id}`, client_id: `approved-then-revoked-${user.id}`, user_id: user.id, scope: 'docs:read',
      created_at: now - 2 * UNUSED_CLIENT_DAYS * DAY, revoked_at: now - 40 * DAY, revoked_reason: 'user',
    }).execute();
    await db.insertInto('mcp_oauth_codes').values({
      code_hash: `pending-${user.id}`, client_id: `mid-authorization-${user.id}`, user_id: user.id, redirect_uri: 'http://127.0.0.1:9/cb',
      code_challenge: 'c', scope: 'docs:read', resource: null, created_at: now, expires_at: now + 600_000, used_at: null, grant_id: null,
    }).execute();
    const left = async () => (await db.selectFrom('mcp_oauth_clients').select('name').where('id', 'like', `%-${user.id}`).execute()).map((r) => r.name).sort();

    expect(await purgeMcpOauthTokens(t.ctx)).toMatchObject({ clients: 1 });
    expect(await left()).toEqual(['approved-then-revoked', 'mid-authorization', 'young']);

    // A day past the code's expiry the code goes, and its client with it in the same pass; a day later the young one.
    t.clock.advance(DAY + 600_001);
    expect(await purgeMcpOauthTokens(t.ctx)).toMatchObject({ clients: 1 });
    expect(await db.selectFrom('mcp_oauth_codes').select('code_hash').where('code_hash', '=', `pending-${user.id}`).executeTakeFirst()).toBeUndefined();
    expect(await left()).toEqual(['approved-then-revoked', 'young']);
    t.clock.advance(DAY);
    expect(await purgeMcpOauthTokens(t.ctx)).toMatchObject({ clients: 1 });
    expect(await left()).toEqual(['approved-then-revoked']);
  });
});
