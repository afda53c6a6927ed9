import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp, type SignedUpUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

const b64 = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe.each(dialects)('access-token attacks (%s)', (dialect) => {
  let t: TestApp;
  let user: SignedUpUser;
  let claims: Record<string, unknown>;
  let header: Record<string, unknown>;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    user = await signUp(t);
    claims = decodeJwt(user.accessToken);
    header = decodeProtectedHeader(user.accessToken);
  });
  afterAll(async () => {
    await t.close();
  });

  const me = (token: string) => t.request('GET', '/v1/auth/me', { token });

  it('a genuine token carries the documented header and claims, and verifies against /.well-known/jwks.json', async () => {
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT', kid: expect.any(String) });
    expect(claims).toMatchObject({ sub: user.id, role: 'user', typ: 'access', iss: 'http://localhost:8080', aud: 'latch', sid: expect.any(String), jti: expect.any(String) });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    expect(Object.keys(claims)).not.toContain('email');
    const jwks = await t.request('GET', '/.well-known/jwks.json', { key: null });
    expect(jwks.status).toBe(200);
    const jwk = jwks.body.keys.find((k: { kid: string }) => k.kid === header.kid);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwk.d).toBeUndefined();
    const { jwtVerify } = await import('jose');
    await expect(jwtVerify(user.accessToken, await importJWK(jwk, 'ES256'), { issuer: 'http://localhost:8080', audience: 'latch', currentDate: new Date(t.clock.now()) })).resolves.toBeTruthy();
  });

  it('alg "none" is refused', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT', kid: header.kid })}.${b64(claims)}.`;
    expect((await me(token)).body.code).toBe('auth/invalid-token');
  });

  it('HS256 signed with the public key as the HMAC secret is refused (algorithm confusion)', async () => {
    const jwks = await t.request('GET', '/.well-known/jwks.json', { key: null });
    const publicJwk = JSON.stringify(jwks.body.keys[0]);
    const head = b64({ alg: 'HS256', typ: 'JWT', kid: header.kid });
    const body = b64(claims);
    const sig = createHmac('sha256', publicJwk).update(`${head}.${body}`).digest('base64url');
    const res = await me(`${head}.${body}.${sig}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth/invalid-token');
  });

  it('a tampered payload (role: admin) fails the signature', async () => {
    const [head, , sig] = user.accessToken.split('.');
    const res = await me(`${head}.${b64({ ...claims, role: 'admin' })}.${sig}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth/invalid-token');
  });

  it('a token signed by another key under a known or unknown kid is refused', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const kid of [header.kid as string, 'unknown-kid']) {
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid }).sign(privateKey);
      const res = await me(forged);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth/invalid-token');
    }
  });

  it('an expired token answers auth/token-expired (injected clock)', async () => {
    const fresh = await signIn(t, user.email, user.password);
    t.clock.advanceSeconds(3601);
    try {
      const res = await me(fresh.body.accessToken);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth/token-expired');
    } finally {
      t.clock.advanceSeconds(-3601);
    }
  });

  it('a token of another Latch (other issuer or audience, same key) is refused', async () => {
    const row = await t.ctx.db.selectFrom('signing_keys').selectAll().where('kid', '=', header.kid as string).executeTakeFirstOrThrow();
    const privateJwk = JSON.parse(t.ctx.sealer.open('signing-key', row.private_jwk_sealed));
    const key = await importJWK(privateJwk, 'ES256');
    const now = Math.floor(t.clock.now() / 1000);
    for (const [iss, aud, typ] of [['https://other.example', 'latch', 'access'], ['http://localhost:8080', 'other', 'access'], ['http://localhost:8080', 'latch', 'mcp+at']]) {
      const token = await new SignJWT({ ...claims, typ }).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: row.kid }).setIssuer(iss).setAudience(aud).setIssuedAt(now).setExpirationTime(now + 600).sign(key);
      const res = await me(token);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth/invalid-token');
    }
  });

  it('a validly signed token naming a session that is not the user’s is refused (guessed sid)', async () => {
    const other = await signUp(t);
    const otherSid = decodeJwt(other.accessToken).sid;
    const row = await t.ctx.db.selectFrom('signing_keys').selectAll().where('kid', '=', header.kid as string).executeTakeFirstOrThrow();
    const key = await importJWK(JSON.parse(t.ctx.sealer.open('signing-key', row.private_jwk_sealed)), 'ES256');
    const now = Math.floor(t.clock.now() / 1000);
    const token = await new SignJWT({ ...claims, sid: otherSid }).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: row.kid }).setIssuedAt(now).setExpirationTime(now + 600).sign(key);
    expect((await me(token)).body.code).toBe('auth/invalid-token');
  });

  it('access tokens die at once after sign-out, session end, password change and withdraw', async () => {
    const a = await signUp(t);
    await t.request('POST', '/v1/auth/signout', { token: a.accessToken });
    expect((await me(a.accessToken)).body.code).toBe('auth/invalid-token');

    const b = await signUp(t);
    const b2 = await signIn(t, b.email, b.password);
    const sid = decodeJwt(b2.body.accessToken).sid;
    await t.request('DELETE', `/v1/auth/sessions/${sid}`, { token: b.accessToken });
    expect((await me(b2.body.accessToken)).body.code).toBe('auth/invalid-token');

    const c = await signUp(t);
    await t.request('POST', '/v1/auth/password/change', { token: c.accessToken, body: { currentPassword: c.password, newPassword: 'Brand-New-Pass-42!' } });
    expect((await me(c.accessToken)).body.code).toBe('auth/invalid-token');

    const d = await signUp(t);
    await t.request('DELETE', '/v1/auth/withdraw', { token: d.accessToken });
    expect((await me(d.accessToken)).body.code).toBe('auth/invalid-token');
  });

  it('a banned user’s token stops working', async () => {
    const e = await signUp(t);
    await t.ctx.db.updateTable('users').set({ banned_at: t.clock.now() }).where('id', '=', e.id).execute();
    t.ctx.cache.forgetUser(e.id);
    expect((await me(e.accessToken)).body.code).toBe('auth/invalid-token');
  });

  it.each([
    'Bearer ' + 'a'.repeat(5000),
    'Bearer ..',
    'Bearer a.b.c',
    `Bearer ${'eyJhbGciOiJFUzI1NiJ9'}.${b64('not json')}.sig`,
  ])('garbage %# never crashes the verifier', async (authorization) => {
    const res = await t.request('GET', '/v1/auth/me', { headers: { authorization } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth/invalid-token');
  });
});
