import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signUp, uniqueEmail, type SignedUpUser } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { setRole, signUpAs } from '../../test/helpers/users.js';

describe.each(dialects)('users attacks (%s)', (dialect) => {
  let t: TestApp;
  let victim: SignedUpUser;
  let attacker: SignedUpUser;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    victim = await signUp(t, { name: 'Victim' });
    attacker = await signUp(t, { name: 'Attacker' });
    await t.request('PATCH', `/v1/users/${victim.id}/profile`, { token: victim.accessToken, body: { mobile: '+15550001111', bio: 'private' } });
    await t.request('PATCH', `/v1/users/${victim.id}/preferences`, { token: victim.accessToken, body: { locale: 'en', timezone: 'Europe/Paris' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('cannot read another user\'s private data', async () => {
    const user = await t.request('GET', `/v1/users/${victim.id}`, { token: attacker.accessToken });
    expect(user.body).not.toHaveProperty('email');
    expect(user.body).not.toHaveProperty('role');
    expect(user.body).not.toHaveProperty('lastSignInAt');
    for (const path of ['profile', 'preferences', 'notifications', 'onboarding', 'public-settings']) {
      const res = await t.request('GET', `/v1/users/${victim.id}/${path}`, { token: attacker.accessToken });
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 403, code: 'user/forbidden' });
    }
    const list = await t.request('GET', '/v1/users?limit=100', { token: attacker.accessToken });
    const row = list.body.items.find((i: { id: string }) => i.id === victim.id);
    expect(Object.keys(row).sort()).toEqual(['createdAt', 'id', 'image', 'name', 'nickname']);
    // Substrings of the victim's email find nothing for a non-admin (no email oracle).
    const probe = await t.request('GET', `/v1/users?search=${encodeURIComponent(victim.email.slice(0, 12))}`, { token: attacker.accessToken });
    expect(probe.body.items.map((i: { id: string }) => i.id)).not.toContain(victim.id);
  });

  it('cannot change another user\'s data through any self-or-admin route', async () => {
    const writes: Array<[string, string, unknown]> = [
      ['PATCH', '', { name: 'Owned' }],
      ['PATCH', '/profile', { bio: 'owned' }],
      ['PATCH', '/preferences', { theme: 'dark' }],
      ['PATCH', '/notifications', { marketing: true }],
      ['PATCH', '/onboarding', { status: 'completed' }],
      ['PATCH', '/public-settings', { isPublic: true, slug: 'owned-slug' }],
      ['POST', '/avatar/upload-url', { filename: 'x.png', contentType: 'image/png' }],
      ['DELETE', '/avatar', undefined],
      ['DELETE', '', undefined],
    ];
    for (const [method, path, body] of writes) {
      const res = await t.request(method, `/v1/users/${victim.id}${path}`, { token: attacker.accessToken, body });
      expect({ method, path, status: res.status, code: res.body.code }).toEqual({ method, path, status: 403, code: 'user/forbidden' });
    }
    const profile = await t.request('GET', `/v1/users/${victim.id}/profile`, { token: victim.accessToken });
    expect(profile.body).toMatchObject({ name: 'Victim', bio: 'private' });
    expect((await t.request('GET', `/v1/users/${victim.id}/public-settings`, { token: victim.accessToken })).body).toEqual({ slug: null, isPublic: false });
  });

  it('refuses 403 before looking at the body (a malformed body does not turn it into a 400)', async () => {
    const res = await t.request('PATCH', `/v1/users/${victim.id}/profile`, { token: attacker.accessToken, body: { gender: 42, bio: ['x'] } });
    expect(res.status).toBe(403);
  });

  it('ignores fields a caller may not set in PATCH bodies (never applied, never refused)', async () => {
    const before = await t.request('GET', `/v1/users/${attacker.id}`, { token: attacker.accessToken });
    const sneaky = {
      name: 'Attacker 2',
      role: 'admin',
      id: victim.id,
      email: 'takeover@evil.test',
      emailVerified: new Date().toISOString(),
      email_verified_at: 1,
      banned: false,
      bannedAt: null,
      mfaEnabled: true,
      createdBy: victim.id,
      deletedAt: null,
      createdAt: '2000-01-01T00:00:00.000Z',
      image: null,
    };
    // (Not /notifications: there `email` is a real field, the email-notification flag.)
    for (const path of ['', '/profile', '/preferences', '/onboarding', '/public-settings']) {
      const res = await t.request('PATCH', `/v1/users/${attacker.id}${path}`, { token: attacker.accessToken, body: sneaky });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
    const after = await t.request('GET', `/v1/users/${attacker.id}`, { token: attacker.accessToken });
    expect(after.body).toEqual({ ...before.body, name: 'Attacker 2', updatedAt: after.body.updatedAt });
    expect(after.body).toMatchObject({ role: 'user', email: attacker.email, emailVerified: null, mfaEnabled: false, createdAt: before.body.createdAt });
    // Still not an admin anywhere.
    expect((await t.request('GET', '/v1/users?sortBy=role', { token: attacker.accessToken })).status).toBe(403);
    expect((await t.request('PATCH', `/v1/users/${attacker.id}/role`, { token: attacker.accessToken, body: { role: 'admin' } })).status).toBe(403);
    expect((await t.request('POST', '/v1/users', { token: attacker.accessToken, body: { name: 'x', email: uniqueEmail(), role: 'admin' } })).status).toBe(403);
  });

  it('refuses prototype-poisoning bodies outright (the JSON parser), changing nothing', async () => {
    for (const raw of ['{"name":"P","__proto__":{"role":"admin"}}', '{"name":"P","constructor":{"prototype":{"role":"admin"}}}']) {
      const res = await t.request('PATCH', `/v1/users/${attacker.id}`, { token: attacker.accessToken, body: raw, headers: { 'content-type': 'application/json' } });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'common/invalid-parameters' });
    }
    const after = await t.request('GET', `/v1/users/${attacker.id}`, { token: attacker.accessToken });
    expect(after.body).toMatchObject({ role: 'user' });
    expect(after.body.name).not.toBe('P');
  });

  it('a stale `role: admin` claim in a demoted admin\'s token grants nothing (role read from storage)', async () => {
    const keeper = await signUpAs(t, 'admin');
    const former = await signUpAs(t, 'admin');
    const signin = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: former.email, password: former.password } });
    const claims = JSON.parse(Buffer.from(signin.body.accessToken.split('.')[1], 'base64url').toString());
    expect(claims.role).toBe('admin');
    await t.request('PATCH', `/v1/users/${former.id}/role`, { token: keeper.accessToken, body: { role: 'user' } });
    const res = await t.request('GET', '/v1/users?sortBy=role', { token: signin.body.accessToken });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'user/forbidden' });
  });
});

describe.each(dialects)('last admin (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });
  async function onlyAdmins(...admins: SignedUpUser[]) {
    await t.ctx.db.updateTable('users').set({ role: 'user' }).where('role', '=', 'admin').execute();
    for (const admin of admins) await setRole(t, admin.id, 'admin');
  }

  it('can never be demoted, deleted or banned — by itself or with the secret key', async () => {
    const admin = await signUpAs(t, 'admin');
    await onlyAdmins(admin);
    const attempts: Array<[string, string, unknown, { token?: string; key?: string }]> = [
      ['PATCH', `/v1/users/${admin.id}/role`, { role: 'user' }, { token: admin.accessToken }],
      ['PATCH', `/v1/users/${admin.id}/role`, { role: 'guest' }, { key: TEST_SK }],
      ['DELETE', `/v1/users/${admin.id}`, undefined, { token: admin.accessToken }],
      ['DELETE', `/v1/users/${admin.id}`, undefined, { key: TEST_SK }],
      ['PATCH', `/v1/users/${admin.id}`, { banned: true }, { key: TEST_SK }],
    ];
    for (const [method, url, body, auth] of attempts) {
      const res = await t.request(method, url, { ...auth, body });
      expect({ method, url, status: res.status, code: res.body.code }).toEqual({ method, url, status: 403, code: 'user/forbidden' });
    }
    const me = await t.request('GET', '/v1/auth/me', { token: admin.accessToken });
    expect(me.body).toMatchObject({ role: 'admin', bannedAt: null });
  });

  it('a banned admin does not count as the remaining admin', async () => {
    const active = await signUpAs(t, 'admin');
    const banned = await signUpAs(t, 'admin');
    await onlyAdmins(active, banned);
    expect((await t.request('PATCH', `/v1/users/${banned.id}`, { key: TEST_SK, body: { banned: true } })).status).toBe(200);
    const res = await t.request('PATCH', `/v1/users/${active.id}/role`, { key: TEST_SK, body: { role: 'user' } });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'user/forbidden' });
  });

  it('two admins demoting each other at the same time leave exactly one admin', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await signUpAs(t, 'admin');
      const b = await signUpAs(t, 'admin');
      await onlyAdmins(a, b);
      const [ra, rb] = await Promise.all([
        t.request('PATCH', `/v1/users/${b.id}/role`, { token: a.accessToken, body: { role: 'user' } }),
        t.request('PATCH', `/v1/users/${a.id}/role`, { token: b.accessToken, body: { role: 'user' } }),
      ]);
      expect([ra.status, rb.status].sort()).toEqual([200, 403]);
      const admins = await t.ctx.db.selectFrom('users').select('id').where('role', '=', 'admin').where('deleted_at', 'is', null).execute();
      expect(admins.length).toBe(1);
    }
  });

  it('two admins deleting each other at the same time leave exactly one admin', async () => {
    const a = await signUpAs(t, 'admin');
    const b = await signUpAs(t, 'admin');
    await onlyAdmins(a, b);
    const results = await Promise.all([
      t.request('DELETE', `/v1/users/${b.id}`, { token: a.accessToken }),
      t.request('DELETE', `/v1/users/${a.id}`, { token: b.accessToken }),
    ]);
    // The loser is refused either by the guard (403) or because its own session died with it (401).
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const admins = await t.ctx.db.selectFrom('users').select('id').where('role', '=', 'admin').where('deleted_at', 'is', null).execute();
    expect(admins.length).toBe(1);
  });
});
