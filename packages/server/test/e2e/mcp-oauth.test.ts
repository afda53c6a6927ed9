import { createHash, randomBytes } from 'node:crypto';
import { TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { createUser } from '../../src/users/create-user.js';
import { ManualClock } from '../helpers/clock.js';
import { dialects } from '../helpers/databases.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/factories.js';
import { TEST_SK } from '../helpers/test-app.js';
import type { TestServer } from '../helpers/test-server.js';
import { connectHttpClient, postMcp, startMcpServer, toolText } from './mcp-support.js';

const REDIRECT = 'http://localhost:7777/callback';

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The "browser": load the consent page, sign in as the given user and approve (or deny). */
async function consent(server: TestServer, authorizeUrl: string, credentials: { email: string; password: string; mfaCode?: string }, decision = 'approve') {
  const page = await fetch(authorizeUrl, { redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, html, location: page.headers.get('location') };
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(m[1], m[2].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  }
  form.set('email', credentials.email);
  form.set('password', credentials.password);
  form.set('decision', decision);
  if (credentials.mfaCode) form.set('mfaCode', credentials.mfaCode);
  const res = await fetch(`${server.url}/mcp/oauth/authorize`, { method: 'POST', body: form, redirect: 'manual' });
  return { status: res.status, html: await res.text(), location: res.headers.get('location') };
}

/** The plain link back to the client on Latch's error and "denied" pages (RFC 9700 §4.11.2: no auto-redirect). */
function linkBack(html: string): URL | null {
  const href = /<a href="([^"]+)">Return to the application/.exec(html)?.[1];
  return href ? new URL(href.replace(/&amp;/g, '&')) : null;
}

async function register(server: TestServer, redirectUris = [REDIRECT]) {
  const res = await fetch(`${server.url}/mcp/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Scripted agent', redirect_uris: redirectUris }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

function authorizeUrl(server: TestServer, params: Record<string, string>) {
  const url = new URL(`${server.url}/mcp/oauth/authorize`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

async function token(server: TestServer, params: Record<string, string>) {
  const res = await fetch(`${server.url}/mcp/oauth/token`, { method: 'POST', body: new URLSearchParams(params) });
  return { status: res.status, body: (await res.json()) as any };
}

describe.each(dialects)('MCP OAuth 2.1 + PKCE (%s)', (dialect) => {
  let server: TestServer;
  const clock = new ManualClock(Date.now());
  const admin = { email: uniqueEmail('admin'), password: STRONG_PASSWORD };
  const member = { email: uniqueEmail('member'), password: STRONG_PASSWORD };

  beforeAll(async () => {
    server = await startMcpServer(dialect, { clock });
    await createUser(server.ctx, { ...admin, role: 'admin' });
    await createUser(server.ctx, { ...member, role: 'user' });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Registration → authorize with PKCE → consent as admin → code. */
  async function obtainCode(options: { scope?: string; user?: { email: string; password: string; mfaCode?: string }; client?: { client_id: string } } = {}) {
    // Registration is limited per IP (30 an hour): tests that need many codes reuse one client.
    const client = options.client ?? (await register(server)).body;
    const { verifier, challenge } = pkce();
    const state = randomBytes(8).toString('hex');
    const params: Record<string, string> = { response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state, resource: `${server.url}/mcp` };
    if (options.scope) params.scope = options.scope;
    const answer = await consent(server, authorizeUrl(server, params), options.user ?? admin);
    return { client, verifier, state, answer, code: answer.location ? new URL(answer.location).searchParams.get('code') : null };
  }

  it('end to end with the official SDK client: DCR, authorize with PKCE, admin consent, token, tool call, refresh', async () => {
    let clientInformation: OAuthClientInformationMixed | undefined;
    let tokens: OAuthTokens | undefined;
    let verifier = '';
    let authorizationUrl: URL | undefined;
    const provider: OAuthClientProvider = {
      get redirectUrl() {
        return REDIRECT;
      },
      get clientMetadata() {
        return { client_name: 'SDK agent', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
      },
      clientInformation: () => clientInformation,
      saveClientInformation: (info) => void (clientInformation = info),
      tokens: () => tokens,
      saveTokens: (t) => void (tokens = t),
      redirectToAuthorization: (url) => void (authorizationUrl = url),
      saveCodeVerifier: (v) => void (verifier = v),
      codeVerifier: () => verifier,
    };
    const url = new URL(`${server.url}/mcp`);
    const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await expect(new Client({ name: 'sdk-agent', version: '1' }).connect(first)).rejects.toThrow(/Unauthorized/i);
    expect(clientInformation?.client_id).toMatch(/^dyn-[0-9a-f]{24}$/);
    expect(authorizationUrl?.searchParams.get('code_challenge_method')).toBe('S256');

    const approved = await consent(server, authorizationUrl!.toString(), admin);
    expect(approved.status).toBe(302);
    const back = new URL(approved.location!);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('iss')).toBe(`${server.url}/mcp`);
    await first.finishAuth(back.searchParams.get('code')!);
    expect(tokens?.access_token).toBeTruthy();
    expect(tokens?.refresh_token).toBeTruthy();

    const client = new Client({ name: 'sdk-agent', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    const context = toolText(await client.callTool({ name: 'get_context', arguments: {} }));
    expect(context).toContain('an admin user');
    const orgs = JSON.parse(toolText(await client.callTool({ name: 'backend_org_list', arguments: {} })));
    expect(orgs.items[0].id).toBe('default');

    // The access token lasts an hour; the SDK refreshes it silently with the rotating refresh token.
    const oldRefresh = tokens!.refresh_token;
    clock.advance(3601_000);
    const expired = await postMcp(server, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: `Bearer ${tokens!.access_token}` });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('auth/token-expired');
    const again = new Client({ name: 'sdk-agent', version: '1' });
    await again.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    expect((await again.listTools()).tools.length).toBe(21);
    expect(tokens!.refresh_token).not.toBe(oldRefresh);
    await Promise.all([client.close(), again.close()]);
  });

  it('a scripted client: the token answer, then refresh rotation and revocation', async () => {
    const { client, verifier, state, answer, code } = await obtainCode();
    expect(new URL(answer.location!).searchParams.get('state')).toBe(state);
    const issued = await token(server, { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: expect.stringContaining('table:read') });
    const [, payload] = issued.body.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims).toMatchObject({ typ: 'mcp+at', aud: `${server.url}/mcp`, iss: server.url, client_id: client.client_id, org_id: 'default' });

    // MCP tokens are refused on /v1 (decisions.md §7).
    const v1 = await server.call('GET', '/v1/auth/me', { token: issued.body.access_token });
    expect(v1.status).toBe(401);

    const rotated = await token(server, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token, client_id: client.client_id });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(issued.body.refresh_token);
    const mcp = await connectHttpClient(server, rotated.body.access_token);
    expect((await mcp.listTools()).tools.length).toBe(21);
    await mcp.close();

    const revoke = await fetch(`${server.url}/mcp/oauth/revoke`, { method: 'POST', body: new URLSearchParams({ token: rotated.body.refresh_token }) });
    expect(revoke.status).toBe(200);
    const after = await postMcp(server, { jsonrpc: '2.0', id: 1, method: 'ping' }, { authorization: `Bearer ${rotated.body.access_token}` });
    expect(after.status).toBe(401);
    expect((await token(server, { grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token })).body.error).toBe('invalid_grant');
  });

  describe('a user\'s MCP grants end with their sessions (revokeAllSessions; auth-api.md "revocation is stateful")', () => {
    let client: { client_id: string };
    beforeAll(async () => {
      client = (await register(server)).body;
    });

    async function newAdmin(prefix: string) {
      const credentials = { email: uniqueEmail(prefix), password: STRONG_PASSWORD };
      const user = await createUser(server.ctx, { ...credentials, role: 'admin' });
      return { credentials, id: user.id };
    }

    async function issueTokens(user: { email: string; password: string }) {
      const { verifier, code } = await obtainCode({ client, user });
      const issued = await token(server, { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier });
      expect(issued.status, JSON.stringify(issued.body)).toBe(200);
      return issued.body as { access_token: string; refresh_token: string };
    }

    const ping = (accessToken: string) => postMcp(server, { jsonrpc: '2.0', id: 1, method: 'ping' }, { authorization: `Bearer ${accessToken}` });

    /** Access token 401, refresh token invalid_grant, and the grant row carries the sessions' reason. */
    async function expectEnded(issued: { access_token: string; refresh_token: string }, reason: string) {
      expect((await ping(issued.access_token)).status).toBe(401);
      const refreshed = await token(server, { grant_type: 'refresh_token', refresh_token: issued.refresh_token });
      expect([refreshed.status, refreshed.body.error]).toEqual([400, 'invalid_grant']);
      const gid = JSON.parse(Buffer.from(issued.access_token.split('.')[1], 'base64url').toString()).gid as string;
      const grant = await server.ctx.db.selectFrom('mcp_oauth_grants').select(['revoked_at', 'revoked_reason']).where('id', '=', gid).executeTakeFirstOrThrow();
      expect(grant).toEqual({ revoked_at: expect.any(Number), revoked_reason: reason });
    }

    it('a password change (A12) ends them: access token 401, refresh invalid_grant, a code not yet exchanged refused', async () => {
      const { credentials } = await newAdmin('mcp-pw-change');
      const issued = await issueTokens(credentials); // e.g. by someone who had phished the old password
      const pending = await obtainCode({ client, user: credentials });
      const bystander = await issueTokens(admin);
      const signIn = await server.call('POST', '/v1/auth/email/signin', { body: { method: 'password', ...credentials } });
      expect(signIn.status).toBe(200);
      const change = await server.call('POST', '/v1/auth/password/change', { token: signIn.body.accessToken, body: { currentPassword: credentials.password, newPassword: 'Another-Strong-9-Password!' } });
      expect(change.status).toBe(200);

      await expectEnded(issued, 'password_changed');
      const late = await token(server, { grant_type: 'authorization_code', code: pending.code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: pending.verifier });
      expect([late.status, late.body.error]).toEqual([400, 'invalid_grant']);
      // Another admin's grant is not touched.
      expect((await ping(bystander.access_token)).status).toBe(200);
      expect((await token(server, { grant_type: 'refresh_token', refresh_token: bystander.refresh_token })).status).toBe(200);
    });

    it('a password reset (A11) ends them', async () => {
      const { credentials } = await newAdmin('mcp-pw-reset');
      const issued = await issueTokens(credentials);
      expect((await server.call('POST', '/v1/auth/password/reset/request', { body: { email: credentials.email } })).status).toBe(200);
      let resetToken: string | null = null;
      for (let i = 0; i < 100 && !resetToken; i++) {
        const outbox = await server.call('GET', `/v1/admin/outbox?to=${encodeURIComponent(credentials.email)}`, { key: TEST_SK });
        const mail = (outbox.body.items as Array<{ template: string; text: string }>).find((m) => m.template === 'password_reset');
        if (mail) resetToken = new URL(/https?:\/\/\S+[?&]token=\S+/.exec(mail.text)![0]).searchParams.get('token');
        else await new Promise((resolve) => setTimeout(resolve, 20)); // the mail is sent after the answer
      }
      const confirm = await server.call('POST', '/v1/auth/password/reset/confirm', { body: { email: credentials.email, token: resetToken, newPassword: 'Another-Strong-9-Password!' } });
      expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
      await expectEnded(issued, 'password_reset');
    });

    it('an admin ban ends them for good: lifting the ban does not bring them back', async () => {
      const { credentials, id } = await newAdmin('mcp-banned');
      const issued = await issueTokens(credentials);
      expect((await server.call('PATCH', `/v1/users/${id}`, { key: TEST_SK, body: { banned: true } })).status).toBe(200);
      expect((await server.call('PATCH', `/v1/users/${id}`, { key: TEST_SK, body: { banned: false } })).status).toBe(200);
      await expectEnded(issued, 'banned');
    });
  });

  describe('attacks', () => {
    let shared: { client_id: string };
    beforeAll(async () => {
      shared = (await register(server)).body;
    });

    it('a wrong PKCE verifier gets invalid_grant, and the code is burnt', async () => {
      const { client, verifier, code } = await obtainCode();
      const wrong = await token(server, { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: pkce().verifier });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error).toBe('invalid_grant');
      const right = await token(server, { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier });
      expect(right.body.error).toBe('invalid_grant');
    });

    it('a reused code gets invalid_grant and revokes what the first exchange issued', async () => {
      const { client, verifier, code } = await obtainCode();
      const params = { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier };
      const first = await token(server, params);
      expect(first.status).toBe(200);
      const second = await token(server, params);
      expect(second.body.error).toBe('invalid_grant');
      const call = await postMcp(server, { jsonrpc: '2.0', id: 1, method: 'ping' }, { authorization: `Bearer ${first.body.access_token}` });
      expect(call.status).toBe(401);
    });

    it('a reused refresh token revokes the whole grant', async () => {
      const { client, verifier, code } = await obtainCode();
      const issued = await token(server, { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier });
      const next = await token(server, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token });
      expect(next.status).toBe(200);
      const replay = await token(server, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token });
      expect(replay.body.error).toBe('invalid_grant');
      expect((await token(server, { grant_type: 'refresh_token', refresh_token: next.body.refresh_token })).body.error).toBe('invalid_grant');
    });

    it('a non-admin user cannot approve: 403 page, no code', async () => {
      const { answer, code } = await obtainCode({ user: member });
      expect(answer.status).toBe(403);
      expect(code).toBeNull();
      expect(answer.html).toContain('Only admin-role Latch users');
    });

    it('an admin with MFA on must give a code: the password alone issues nothing', async () => {
      const guarded = { email: uniqueEmail('mfa-admin'), password: STRONG_PASSWORD };
      await createUser(server.ctx, { ...guarded, role: 'admin' });
      const signIn = await server.call('POST', '/v1/auth/email/signin', { body: { method: 'password', ...guarded } });
      const enable = await server.call('POST', '/v1/auth/mfa/enable', { token: signIn.body.accessToken, body: { password: guarded.password } });
      expect(enable.status).toBe(200);
      const totp = new TOTP({ secret: enable.body.secret, digits: 6, period: 30, algorithm: 'SHA1' });
      const confirm = await server.call('POST', '/v1/auth/mfa/confirm', { token: signIn.body.accessToken, body: { code: totp.generate({ timestamp: clock.now() }) } });
      expect(confirm.status).toBe(200);

      const withoutCode = await obtainCode({ user: guarded });
      expect(withoutCode.code).toBeNull();
      expect(withoutCode.answer.status).toBe(401);
      expect(withoutCode.answer.html).toContain('name="mfaCode"');
      const wrongCode = await obtainCode({ user: { ...guarded, mfaCode: '000000' } });
      expect(wrongCode.code).toBeNull();
      clock.advance(30_000); // a TOTP code is accepted once: use the next step's code
      const withCode = await obtainCode({ user: { ...guarded, mfaCode: totp.generate({ timestamp: clock.now() }) } });
      expect(withCode.answer.status).toBe(302);
      expect(withCode.code).toEqual(expect.any(String));
    });

    it('without redirect_uri the one registered URI is used; with two registered, an error page', async () => {
      const one = await fetch(authorizeUrl(server, { response_type: 'code', client_id: shared.client_id, code_challenge: pkce().challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
      expect(one.status).toBe(200);
      const answer = await consent(server, authorizeUrl(server, { response_type: 'code', client_id: shared.client_id, code_challenge: pkce().challenge, code_challenge_method: 'S256' }), admin);
      expect(answer.location?.startsWith(`${REDIRECT}?`)).toBe(true);
      const { body: two } = await register(server, [REDIRECT, 'http://localhost:7777/second']);
      const ambiguous = await fetch(authorizeUrl(server, { response_type: 'code', client_id: two.client_id, code_challenge: pkce().challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
      expect(ambiguous.status).toBe(400);
      expect(ambiguous.headers.get('location')).toBeNull();
    });

    it.each([
      ['an unknown email', () => ({ email: uniqueEmail('nobody'), password: STRONG_PASSWORD })],
      ['a malformed email', () => ({ email: 'not an email', password: STRONG_PASSWORD })],
      ['an empty form', () => ({ email: '', password: '' })],
    ])('%s gets the same refusal as a wrong password, no code', async (_case, who) => {
      const { answer, code } = await obtainCode({ client: shared, user: who() });
      expect(answer.status).toBe(401);
      expect(code).toBeNull();
      expect(answer.html).toContain('Email or password is incorrect.');
    });

    it('a banned admin cannot approve: 403 page, no code', async () => {
      const banned = { email: uniqueEmail('banned-admin'), password: STRONG_PASSWORD };
      const user = await createUser(server.ctx, { ...banned, role: 'admin' });
      await server.ctx.db.updateTable('users').set({ banned_at: clock.now() }).where('id', '=', user.id).execute();
      const { answer, code } = await obtainCode({ client: shared, user: banned });
      expect(answer.status).toBe(403);
      expect(code).toBeNull();
      expect(answer.html).toContain('suspended');
    });

    it('a wrong password gets the form again with one message, no code', async () => {
      const { answer, code } = await obtainCode({ user: { email: admin.email, password: 'wrong-password' } });
      expect(answer.status).toBe(401);
      expect(code).toBeNull();
      expect(answer.html).toContain('Email or password is incorrect.');
    });

    it('denying answers a page whose plain link carries access_denied, never a redirect (RFC 9700 §4.11.2)', async () => {
      const { body: client } = await register(server);
      const { challenge } = pkce();
      const answer = await consent(server, authorizeUrl(server, { response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's1' }), admin, 'deny');
      expect([answer.status, answer.location]).toEqual([200, null]);
      const back = linkBack(answer.html)!;
      expect(back.origin + back.pathname).toBe(REDIRECT);
      expect(Object.fromEntries(back.searchParams)).toMatchObject({ error: 'access_denied', state: 's1', iss: `${server.url}/mcp` });
    });

    it('a self-registered redirect URI gets no automatic redirect before sign-in: bad request and a cross-site "deny" both answer Latch\'s page', async () => {
      const phishing = 'https://phish.example/landing';
      const { body: phish } = await register(server, [phishing]);
      const bad = await fetch(authorizeUrl(server, { response_type: 'code', client_id: phish.client_id, scope: 'nope:nope', state: 'p' }), { redirect: 'manual' });
      expect([bad.status, bad.headers.get('location')]).toEqual([400, null]);
      expect(linkBack(await bad.text())?.searchParams.get('error')).toBe('invalid_request');
      // An auto-submitted cross-site form: no email, no password, just "deny".
      const form = new URLSearchParams({ response_type: 'code', client_id: phish.client_id, code_challenge: pkce().challenge, code_challenge_method: 'S256', decision: 'deny' });
      const deny = await fetch(`${server.url}/mcp/oauth/authorize`, { method: 'POST', body: form, redirect: 'manual' });
      expect([deny.status, deny.headers.get('location')]).toEqual([200, null]);
      const html = await deny.text();
      expect(html).toContain('Return to the application at https://phish.example');
      expect(linkBack(html)?.searchParams.get('error')).toBe('access_denied');
      // A POST that fails validation shows the page too.
      const invalid = await fetch(`${server.url}/mcp/oauth/authorize`, { method: 'POST', body: new URLSearchParams({ response_type: 'token', client_id: phish.client_id, decision: 'deny' }), redirect: 'manual' });
      expect([invalid.status, invalid.headers.get('location')]).toEqual([400, null]);
      expect(linkBack(await invalid.text())?.searchParams.get('error')).toBe('unsupported_response_type');
    });

    it('a token without the tool’s scope gets a FORBIDDEN tool error', async () => {
      const { client, verifier, code } = await obtainCode({ scope: 'organization:read' });
      const issued = await token(server, { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier });
      expect(issued.body.scope).toBe('organization:read');
      const mcp = await connectHttpClient(server, issued.body.access_token);
      const allowed = await mcp.callTool({ name: 'backend_org_list', arguments: {} });
      expect(allowed.isError).toBeFalsy();
      for (const name of ['backend_table_list', 'backend_project_list', 'backend_access_token_list']) {
        const refused = await mcp.callTool({ name, arguments: {} });
        expect(refused.isError).toBe(true);
        expect(JSON.parse(toolText(refused)).error.code).toBe('FORBIDDEN');
      }
      // Docs tools need no scope beyond a valid token.
      expect((await mcp.callTool({ name: 'search_docs', arguments: { query: 'sessions' } })).isError).toBeFalsy();
      await expect(mcp.readResource({ uri: 'bkend://tables' })).rejects.toMatchObject({ code: -32001 });
      await mcp.close();
    });

    it('a tool call with no token is HTTP 401 pointing at the protected-resource metadata', async () => {
      const res = await postMcp(server, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'backend_org_list', arguments: {} } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain(`resource_metadata="${server.url}/.well-known/oauth-protected-resource"`);
    });

    it('a demoted admin’s token stops working', async () => {
      const demoted = { email: uniqueEmail('demoted'), password: STRONG_PASSWORD };
      const user = await createUser(server.ctx, { ...demoted, role: 'admin' });
      const { client, verifier, code } = await obtainCode({ user: demoted });
      const issued = await token(server, { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier });
      await server.ctx.db.updateTable('users').set({ role: 'user' }).where('id', '=', user.id).execute();
      const call = await postMcp(server, { jsonrpc: '2.0', id: 1, method: 'ping' }, { authorization: `Bearer ${issued.body.access_token}` });
      expect(call.status).toBe(401);
      expect((await token(server, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token })).body.error).toBe('invalid_grant');
    });

    it.each([
      ['plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request'],
      ['no PKCE', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
      ['wrong response type', { response_type: 'token' }, 'unsupported_response_type'],
      ['unknown scope', { scope: 'root:everything' }, 'invalid_scope'],
      ['a scope outside the §3.5 grid', { scope: 'table:read access-token:delete' }, 'invalid_scope'],
      ['organization:update (not in the grid)', { scope: 'organization:update' }, 'invalid_scope'],
      ['foreign resource', { resource: 'https://elsewhere.example/mcp' }, 'invalid_target'],
      ['a challenge that is no SHA-256', { code_challenge: 'abc' }, 'invalid_request'],
    ])('%s is refused with an error page linking back with %s (no auto-redirect, RFC 9700 §4.11.2)', async (_case, override, error) => {
      const client = shared;
      const params: Record<string, string | undefined> = { response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: pkce().challenge, code_challenge_method: 'S256', state: 'x', ...override };
      const res = await fetch(authorizeUrl(server, Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<string, string>), { redirect: 'manual' });
      expect([res.status, res.headers.get('location')]).toEqual([400, null]);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      const back = linkBack(await res.text())!;
      expect(back.origin + back.pathname).toBe(REDIRECT);
      expect(Object.fromEntries(back.searchParams)).toMatchObject({ error, state: 'x', iss: `${server.url}/mcp` });
    });

    it.each([
      ['an unregistered redirect_uri', (id: string) => ({ client_id: id, redirect_uri: 'http://localhost:7777/other' })],
      ['an unknown client', () => ({ client_id: 'dyn-unknown', redirect_uri: REDIRECT })],
      ['no client_id', () => ({ redirect_uri: REDIRECT })],
    ])('%s gets an error page, never a redirect', async (_case, make) => {
      const client = shared;
      const res = await fetch(authorizeUrl(server, { response_type: 'code', code_challenge: pkce().challenge, code_challenge_method: 'S256', ...make(client.client_id) }), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(linkBack(await res.text())).toBeNull(); // not even a link to an unverified URI
    });

    it.each([
      [['javascript:alert(1)'], 'invalid_redirect_uri'],
      [['http://evil.example/callback'], 'invalid_redirect_uri'],
      [['https://app.example/cb#frag'], 'invalid_redirect_uri'],
      [[], 'invalid_redirect_uri'],
    ])('registration refuses redirect URIs %j', async (uris, error) => {
      const res = await register(server, uris as string[]);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe(error);
    });

    it('a code issued to one client cannot be redeemed by another', async () => {
      const { verifier, code } = await obtainCode();
      const { body: other } = await register(server);
      const stolen = await token(server, { grant_type: 'authorization_code', code: code!, client_id: other.client_id, redirect_uri: REDIRECT, code_verifier: verifier });
      expect(stolen.body.error).toBe('invalid_grant');
    });

    it('consent sign-in shares the A02 throttles: the email locks after repeated failures', async () => {
      const locked = await startMcpServer(dialect, { env: { LATCH_RATE_SIGNIN_EMAIL: '3/900' } });
      try {
        const target = { email: uniqueEmail('locked'), password: STRONG_PASSWORD };
        await createUser(locked.ctx, { ...target, role: 'admin' });
        const { body: client } = await register(locked);
        const url = authorizeUrl(locked, { response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: pkce().challenge, code_challenge_method: 'S256' });
        for (let i = 0; i < 3; i++) expect((await consent(locked, url, { email: target.email, password: 'wrong-password' })).status).toBe(401);
        const blocked = await consent(locked, url, target); // even the right password, while locked
        expect(blocked.status).toBe(429);
        expect(blocked.location).toBeNull();
      } finally {
        await locked.close();
      }
    });

    it('a code redeemed with another redirect_uri, resource or a malformed verifier is refused, and burnt', async () => {
      for (const [change, error] of [
        [{ redirect_uri: 'http://localhost:7777/other' }, 'invalid_grant'],
        [{ resource: 'http://evil.example/mcp' }, 'invalid_target'],
        [{ code_verifier: 'too-short' }, 'invalid_grant'],
      ] as const) {
        const { client, verifier, code } = await obtainCode({ client: shared });
        const params = { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier };
        const bad = await token(server, { ...params, ...change });
        expect([bad.status, bad.body.error], JSON.stringify(change)).toEqual([400, error]);
        expect((await token(server, params)).body.error, JSON.stringify(change)).toBe('invalid_grant');
      }
    });

    it.each([
      [{}, 'invalid_request'],
      [{ grant_type: 'password', username: 'a', password: 'b' }, 'unsupported_grant_type'],
      [{ grant_type: 'client_credentials' }, 'unsupported_grant_type'],
      [{ grant_type: 'authorization_code', client_id: 'c', code_verifier: 'v'.repeat(43) }, 'invalid_request'],
      [{ grant_type: 'authorization_code', code: 'c', code_verifier: 'v'.repeat(43) }, 'invalid_request'],
      [{ grant_type: 'authorization_code', code: 'c', client_id: 'c' }, 'invalid_request'],
      [{ grant_type: 'authorization_code', code: 'never-issued', client_id: 'c', code_verifier: 'v'.repeat(43) }, 'invalid_grant'],
      [{ grant_type: 'refresh_token' }, 'invalid_request'],
      [{ grant_type: 'refresh_token', refresh_token: 'never-issued' }, 'invalid_grant'],
      [{ grant_type: 'refresh_token', refresh_token: 'x'.repeat(5000) }, 'invalid_request'],
    ])('the token endpoint answers %j with 400 %s', async (params, error) => {
      const res = await token(server, params as Record<string, string>);
      expect([res.status, res.body.error]).toEqual([400, error]);
    });

    it('a refresh token presented by another client is refused and stays its owner\'s', async () => {
      const { client, verifier, code } = await obtainCode();
      const issued = await token(server, { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier });
      const { body: other } = await register(server);
      const stolen = await token(server, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token, client_id: other.client_id });
      expect([stolen.status, stolen.body.error]).toEqual([400, 'invalid_grant']);
      const own = await token(server, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token, client_id: client.client_id });
      expect(own.status).toBe(200);
    });

    it('revoking with the access token ends the grant; a missing token is 400, an unknown one 200', async () => {
      const { client, verifier, code } = await obtainCode({ client: shared });
      const issued = await token(server, { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier });
      const revoke = (form: Record<string, string>) => fetch(`${server.url}/mcp/oauth/revoke`, { method: 'POST', body: new URLSearchParams(form) });
      expect((await revoke({ token: issued.body.access_token })).status).toBe(200);
      expect((await token(server, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token })).body.error).toBe('invalid_grant');
      const call = await postMcp(server, { jsonrpc: '2.0', id: 1, method: 'ping' }, { authorization: `Bearer ${issued.body.access_token}` });
      expect(call.status).toBe(401);
      const missing = await revoke({});
      expect([missing.status, ((await missing.json()) as any).error]).toEqual([400, 'invalid_request']);
      expect((await revoke({ token: 'not-a-token-of-this-server' })).status).toBe(200);
    });

    it('an expired code is refused', async () => {
      const { client, verifier, code } = await obtainCode();
      clock.advance(11 * 60_000);
      const late = await token(server, { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier });
      expect(late.body.error).toBe('invalid_grant');
    });

    it('a refresh token past its 30 days is refused', async () => {
      const { client, verifier, code } = await obtainCode({ client: shared });
      const issued = await token(server, { grant_type: 'authorization_code', code: code!, client_id: client.client_id, redirect_uri: REDIRECT, code_verifier: verifier });
      expect(issued.status, JSON.stringify(issued.body)).toBe(200);
      clock.advance(30 * 86_400_000 + 1000);
      const late = await token(server, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token });
      expect([late.status, late.body.error]).toEqual([400, 'invalid_grant']);
      expect(late.body.error_description).toMatch(/expired/);
    });
  });
});
