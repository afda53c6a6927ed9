import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp, STRONG_PASSWORD, uniqueEmail, type SignedUpUser } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { capturingMailer, signUpAs } from '../../test/helpers/users.js';
import { runUserMaintenance } from './purge.js';

const PUBLIC_KEYS = ['createdAt', 'id', 'image', 'name', 'nickname'];
const DAY = 86_400_000;

describe.each(dialects)('U01 listing (%s)', (dialect) => {
  let t: TestApp;
  let admin: SignedUpUser;
  let member: SignedUpUser;
  const tag = `zq${Date.now().toString(36)}`;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    admin = await signUpAs(t, 'admin', { name: `Admin ${tag}` });
    t.clock.advance(1000);
    member = await signUp(t, { name: `Member ${tag}` });
    t.clock.advance(1000);
    for (const name of ['Carol', 'alice', 'Bob', 'dave_100%']) {
      await signUp(t, { name: `${name} ${tag}`, email: uniqueEmail(name.toLowerCase().replace(/\W/g, '')) });
      t.clock.advance(1000);
    }
  });
  afterAll(async () => {
    await t.close();
  });
  const names = (res: { body: { items: Array<{ name: string }> } }) => res.body.items.map((item) => item.name.split(' ')[0]);

  it('pages through live users with the list shape of decisions.md §3, newest first by default', async () => {
    const res = await t.request('GET', `/v1/users?search=${tag}&limit=2`, { key: TEST_SK });
    expect(res.status).toBe(200);
    expect(res.body.pagination).toEqual({ page: 1, limit: 2, total: 6, totalPages: 3, hasNext: true, hasPrev: false });
    expect(names(res)).toEqual(['dave_100%', 'Bob']);
    const last = await t.request('GET', `/v1/users?search=${tag}&limit=2&page=3`, { key: TEST_SK });
    expect(last.body.pagination).toMatchObject({ page: 3, hasNext: false, hasPrev: true });
  });

  it.each([
    ['name', 'asc', ['Admin', 'Bob', 'Carol', 'Member', 'alice', 'dave_100%']],
    ['createdAt', 'asc', ['Admin', 'Member', 'Carol', 'alice', 'Bob', 'dave_100%']],
  ])('sorts by %s %s', async (sortBy, direction, expected) => {
    const res = await t.request('GET', `/v1/users?search=${tag}&sortBy=${sortBy}&sortDirection=${direction}`, { key: TEST_SK });
    // Names compare by the database collation; the set and the createdAt order are exact on both.
    if (sortBy === 'name') expect([...names(res)].sort()).toEqual([...expected].sort());
    else expect(names(res)).toEqual(expected);
  });

  it('searches name, nickname and email case-insensitively, with LIKE metacharacters taken literally', async () => {
    const byName = await t.request('GET', `/v1/users?search=ALICE ${tag.toUpperCase()}`, { key: TEST_SK });
    expect(names(byName)).toEqual(['alice']);
    const literal = await t.request('GET', `/v1/users?search=${encodeURIComponent('_100%')}`, { key: TEST_SK });
    expect(names(literal)).toEqual(['dave_100%']);
    const percentOnly = await t.request('GET', `/v1/users?search=${encodeURIComponent('%')}&searchType=name`, { key: TEST_SK });
    expect(names(percentOnly)).toEqual(['dave_100%']);
    const byEmail = await t.request('GET', `/v1/users?search=${encodeURIComponent(member.email.toUpperCase())}&searchType=email`, { key: TEST_SK });
    expect(byEmail.body.items.map((i: { id: string }) => i.id)).toEqual([member.id]);
    await t.request('PATCH', `/v1/users/${member.id}/profile`, { token: member.accessToken, body: { nickname: `nick${tag}` } });
    const byNickname = await t.request('GET', `/v1/users?search=NICK${tag}&searchType=nickname`, { token: member.accessToken });
    expect(byNickname.body.items.map((i: { id: string }) => i.id)).toEqual([member.id]);
  });

  it('gives non-admins public fields only (their own row in full) and never matches emails for them', async () => {
    const res = await t.request('GET', `/v1/users?search=${tag}&limit=100`, { token: member.accessToken });
    expect(res.status).toBe(200);
    for (const item of res.body.items) {
      expect(Object.keys(item).sort()).toEqual(item.id === member.id ? expect.arrayContaining([...PUBLIC_KEYS, 'email', 'role']) : PUBLIC_KEYS);
    }
    const emailSearch = await t.request('GET', `/v1/users?search=${encodeURIComponent(admin.email)}`, { token: member.accessToken });
    expect(emailSearch.body.items).toEqual([]);
  });

  it.each([
    ['searchType=email&search=a', 403, 'user/forbidden'],
    ['sortBy=email', 403, 'user/forbidden'],
    ['sortBy=role', 403, 'user/forbidden'],
    // updatedAt moves with a password change, a ban or a role change: an oracle on private events.
    ['sortBy=updatedAt', 403, 'user/forbidden'],
    ['limit=0', 400, 'common/invalid-parameters'],
    // (page − 1) × limit must stay an integer both databases take (1e20 was a 500).
    ['page=1000001', 400, 'common/invalid-parameters'],
    ['page=100000000000000000000', 400, 'common/invalid-parameters'],
    ['limit=101', 400, 'common/invalid-parameters'],
    ['page=0', 400, 'common/invalid-parameters'],
    ['sortBy=password_hash', 400, 'common/invalid-parameters'],
    ['sortDirection=sideways', 400, 'common/invalid-parameters'],
  ])('refuses ?%s from a non-admin with %i %s', async (query, status, code) => {
    const res = await t.request('GET', `/v1/users?${query}`, { token: member.accessToken });
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  });

  it('adds accounts for admins with includeAccounts, ignores it for others, and never lists deleted users', async () => {
    const admins = await t.request('GET', `/v1/users?search=${tag}&includeAccounts=true&searchType=name`, { key: TEST_SK });
    const row = admins.body.items.find((i: { id: string }) => i.id === member.id);
    expect(row.accounts).toEqual([expect.objectContaining({ userId: member.id, provider: 'email', providerAccountId: member.email.toLowerCase() })]);
    const users = await t.request('GET', `/v1/users?search=${tag}&includeAccounts=true`, { token: member.accessToken });
    expect(users.body.items.every((i: object) => !('accounts' in i))).toBe(true);
    const doomed = await signUp(t, { name: `Doomed ${tag}` });
    await t.request('DELETE', `/v1/users/${doomed.id}`, { token: doomed.accessToken });
    const after = await t.request('GET', `/v1/users?search=Doomed`, { key: TEST_SK });
    expect(after.body.items).toEqual([]);
  });
});

describe.each(dialects)('U02–U06 management (%s)', (dialect) => {
  let t: TestApp;
  const mailer = capturingMailer();
  beforeAll(async () => {
    t = await createTestApp(dialect, { mailer });
  });
  afterAll(async () => {
    await t.close();
  });

  it('U02 creates a user (default role user, unverified, no email sent) who can sign in with the given password', async () => {
    const email = uniqueEmail('created');
    const before = mailer.sent.length;
    const res = await t.request('POST', '/v1/users', { key: TEST_SK, body: { name: ' Grace ', email, password: STRONG_PASSWORD, extra: 'ignored' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Grace', email, role: 'user', emailVerified: null, bannedAt: null });
    expect(mailer.sent.length).toBe(before);
    expect((await signIn(t, email, STRONG_PASSWORD)).status).toBe(200);
  });

  it.each([
    [{ email: 'x@example.test' }, 400, 'user/invalid-name'],
    [{ name: '', email: 'x@example.test' }, 400, 'user/invalid-name'],
    [{ name: 'x'.repeat(101), email: 'x@example.test' }, 400, 'user/invalid-name'],
    [{ name: 42, email: 'x@example.test' }, 400, 'user/invalid-name'],
    [{ name: 'Ok', email: 'x@example.test', role: 'root' }, 400, 'user/invalid-role'],
    [{ name: 'Ok', email: 'not-an-email' }, 400, 'auth/invalid-email'],
    [{ name: 'Ok', email: 'y@example.test', password: 'short' }, 400, 'auth/invalid-password-format'],
    [{ name: 'Ok' }, 400, 'common/invalid-parameters'],
  ])('U02 refuses %j with %i %s', async (body, status, code) => {
    const res = await t.request('POST', '/v1/users', { key: TEST_SK, body });
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  });

  it('U02 answers 409 for a taken email', async () => {
    const existing = await signUp(t);
    const res = await t.request('POST', '/v1/users', { key: TEST_SK, body: { name: 'Dup', email: existing.email.toUpperCase() } });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'auth/email-already-exists' });
  });

  it('U03 shows another user public fields only, self and admins everything', async () => {
    const a = await signUp(t);
    const b = await signUp(t);
    const asOther = await t.request('GET', `/v1/users/${a.id}`, { token: b.accessToken });
    expect(Object.keys(asOther.body).sort()).toEqual(PUBLIC_KEYS);
    const asSelf = await t.request('GET', `/v1/users/${a.id}`, { token: a.accessToken });
    expect(asSelf.body).toMatchObject({ id: a.id, email: a.email, role: 'user', mfaEnabled: false });
    const missing = await t.request('GET', '/v1/users/00000000-0000-7000-8000-000000000000', { key: TEST_SK });
    expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 404, code: 'user/not-found' });
  });

  it('U04 updates name and nickname (null clears the nickname) and validates both', async () => {
    const a = await signUp(t);
    const set = await t.request('PATCH', `/v1/users/${a.id}`, { token: a.accessToken, body: { name: 'New Name', nickname: 'nick', image: null } });
    expect(set.body).toMatchObject({ name: 'New Name', nickname: 'nick', image: null });
    const cleared = await t.request('PATCH', `/v1/users/${a.id}`, { token: a.accessToken, body: { nickname: null } });
    expect(cleared.body).toMatchObject({ name: 'New Name', nickname: null });
    const me = await t.request('GET', '/v1/auth/me', { token: a.accessToken });
    expect(me.body.name).toBe('New Name');
    for (const [body, code] of [[{ name: null }, 'user/invalid-name'], [{ name: '  ' }, 'user/invalid-name'], [{ nickname: '' }, 'user/invalid-nickname'], [{ nickname: 'n'.repeat(51) }, 'user/invalid-nickname']] as const) {
      const res = await t.request('PATCH', `/v1/users/${a.id}`, { token: a.accessToken, body });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code });
    }
  });

  it('U06 changes the role with effect on the very next request of an existing token', async () => {
    await signUpAs(t, 'admin');
    const a = await signUp(t);
    expect((await t.request('POST', '/v1/users', { token: a.accessToken, body: { name: 'x', email: uniqueEmail() } })).status).toBe(403);
    const promoted = await t.request('PATCH', `/v1/users/${a.id}/role`, { key: TEST_SK, body: { role: 'admin' } });
    expect(promoted.body.role).toBe('admin');
    expect((await t.request('POST', '/v1/users', { token: a.accessToken, body: { name: 'x', email: uniqueEmail() } })).status).toBe(201);
    const demoted = await t.request('PATCH', `/v1/users/${a.id}/role`, { key: TEST_SK, body: { role: 'guest' } });
    expect(demoted.body.role).toBe('guest');
    const me = await t.request('GET', '/v1/auth/me', { token: a.accessToken });
    expect(me.body.role).toBe('guest');
    expect((await t.request('GET', '/v1/users?sortBy=role', { token: a.accessToken })).status).toBe(403);
  });

  it.each([
    [{ role: 'superuser' }, 400, 'user/invalid-role'],
    [{}, 400, 'user/invalid-role'],
  ])('U06 refuses %j with %i %s', async (body, status, code) => {
    const a = await signUp(t);
    const res = await t.request('PATCH', `/v1/users/${a.id}/role`, { key: TEST_SK, body });
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  });

  it('U06 on an unknown user is 404', async () => {
    const res = await t.request('PATCH', '/v1/users/00000000-0000-7000-8000-000000000000/role', { key: TEST_SK, body: { role: 'user' } });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'user/not-found' });
  });
});

describe.each(dialects)('OP-28 ban (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('revokes every session, refuses sign-in and refresh with auth/account-banned, and unban restores sign-in', async () => {
    const a = await signUp(t);
    const second = await signIn(t, a.email, a.password);
    const banned = await t.request('PATCH', `/v1/users/${a.id}`, { key: TEST_SK, body: { banned: true } });
    expect(banned.status).toBe(200);
    expect(banned.body.bannedAt).toBe(new Date(t.clock.now()).toISOString());
    for (const token of [a.accessToken, second.body.accessToken]) {
      const me = await t.request('GET', '/v1/auth/me', { token });
      expect({ status: me.status, code: me.body.code }).toEqual({ status: 401, code: 'auth/invalid-token' });
    }
    const refresh = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: a.refreshToken } });
    expect({ status: refresh.status, code: refresh.body.code }).toEqual({ status: 403, code: 'auth/account-banned' });
    const signin = await signIn(t, a.email, a.password);
    expect({ status: signin.status, code: signin.body.code }).toEqual({ status: 403, code: 'auth/account-banned' });
    const live = await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', a.id).where('revoked_at', 'is', null).execute();
    expect(live).toEqual([]);

    const unbanned = await t.request('PATCH', `/v1/users/${a.id}`, { key: TEST_SK, body: { banned: false } });
    expect(unbanned.body.bannedAt).toBeNull();
    expect((await signIn(t, a.email, a.password)).status).toBe(200);
  });

  it('ignores `banned` from a non-admin (self cannot ban or unban)', async () => {
    const a = await signUp(t);
    const res = await t.request('PATCH', `/v1/users/${a.id}`, { token: a.accessToken, body: { banned: true, name: 'Still Here' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Still Here', bannedAt: null });
    expect((await t.request('GET', '/v1/auth/me', { token: a.accessToken })).status).toBe(200);
  });
});

describe.each(dialects)('U05 deletion and the 30-day purge (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('self-deletion ends every token, frees email and slug, revokes sent invitations', async () => {
    const a = await signUp(t);
    await t.request('PATCH', `/v1/users/${a.id}/public-settings`, { token: a.accessToken, body: { slug: `gone-${a.id.slice(-6)}` } });
    await t.request('POST', '/v1/auth/invitations', { key: TEST_SK, body: { resourceType: 'organization', resourceId: 'org-del', email: a.email, resourceRole: 'owner' } });
    const invitation = await t.ctx.db.selectFrom('invitations').select('token_hash').where('email_normalized', '=', a.email.toLowerCase()).executeTakeFirstOrThrow();
    await t.ctx.db.updateTable('invitations').set({ status: 'accepted', accepted_user_id: a.id }).where('token_hash', '=', invitation.token_hash).execute();
    await t.ctx.db.insertInto('memberships').values({ id: `m-${a.id}`, user_id: a.id, resource_type: 'organization', resource_id: 'org-del', role: 'owner', invitation_id: null, created_at: 1, updated_at: 1 }).execute();
    const sent = await t.request('POST', '/v1/auth/invitations', { token: a.accessToken, body: { resourceType: 'organization', resourceId: 'org-del', email: uniqueEmail(), resourceRole: 'member' } });
    expect(sent.status).toBe(201);

    const res = await t.request('DELETE', `/v1/users/${a.id}`, { token: a.accessToken });
    expect(res).toMatchObject({ status: 200, body: { message: expect.any(String) } });
    const me = await t.request('GET', '/v1/auth/me', { token: a.accessToken });
    expect({ status: me.status, code: me.body.code }).toEqual({ status: 401, code: 'auth/invalid-token' });
    expect((await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: a.refreshToken } })).status).toBe(401);
    expect((await t.request('GET', `/v1/users/${a.id}`, { key: TEST_SK })).status).toBe(404);
    expect((await signIn(t, a.email, a.password)).status).toBe(401);
    const again = await signUp(t, { email: a.email });
    expect(again.id).not.toBe(a.id);
    const slug = await t.request('PATCH', `/v1/users/${again.id}/public-settings`, { token: again.accessToken, body: { slug: `gone-${a.id.slice(-6)}` } });
    expect(slug.status).toBe(200);
    const status = await t.request('GET', `/v1/auth/invitations/${sent.body.id}`, { key: TEST_SK });
    expect(status.body.status).toBe('revoked');
  });

  it('an admin deletes another user; the row is purged 30 days later, not before', async () => {
    const a = await signUp(t);
    expect((await t.request('DELETE', `/v1/users/${a.id}`, { key: TEST_SK })).status).toBe(200);
    const audit = await t.ctx.db.selectFrom('audit_log').select(['actor']).where('user_id', '=', a.id).where('event', '=', 'user.deleted').executeTakeFirstOrThrow();
    expect(audit.actor).toBe('secret_key');
    t.clock.advance(29 * DAY);
    await runUserMaintenance(t.ctx);
    expect(await t.ctx.db.selectFrom('users').select('id').where('id', '=', a.id).executeTakeFirst()).toBeDefined();
    t.clock.advance(2 * DAY);
    const result = await runUserMaintenance(t.ctx);
    expect(result.purgedUsers).toBeGreaterThanOrEqual(1);
    expect(await t.ctx.db.selectFrom('users').select('id').where('id', '=', a.id).executeTakeFirst()).toBeUndefined();
    expect(await t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', a.id).executeTakeFirst()).toBeUndefined();
  });
});
