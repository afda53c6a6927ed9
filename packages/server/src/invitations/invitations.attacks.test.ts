import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signUp, uniqueEmail, type SignedUpUser } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { capturingMailer, markEmailVerified, tokenFromMail } from '../../test/helpers/users.js';

describe.each(dialects)('invitation attacks (%s)', (dialect) => {
  let t: TestApp;
  const mailer = capturingMailer();
  let owner: SignedUpUser;
  let attacker: SignedUpUser;
  const org = 'org-victim';
  beforeAll(async () => {
    t = await createTestApp(dialect, { mailer });
    owner = await signUp(t);
    attacker = await signUp(t);
    await t.request('POST', '/v1/auth/invitations', { key: TEST_SK, body: { resourceType: 'organization', resourceId: org, email: owner.email, resourceRole: 'owner' } });
    await t.request('POST', '/v1/auth/invitations/accept', { token: owner.accessToken, body: { token: tokenFromMail(mailer.lastTo(owner.email)) } });
  });
  afterAll(async () => {
    await t.close();
  });
  async function invite(email: string, role = 'member') {
    const res = await t.request('POST', '/v1/auth/invitations', { token: owner.accessToken, body: { resourceType: 'organization', resourceId: org, email, resourceRole: role } });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, token: tokenFromMail(mailer.lastTo(email)) };
  }
  const accept = (body: unknown, token?: string) => t.request('POST', '/v1/auth/invitations/accept', { body, token });

  it('a token works once: reuse after accept is 400, after reject 404, and two concurrent accepts yield one membership', async () => {
    const email = uniqueEmail('once');
    const first = await invite(email);
    expect((await accept({ token: first.token })).status).toBe(200);
    const again = await accept({ token: first.token });
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 400, code: 'auth/invitation-already-accepted' });
    const rejectAfter = await t.request('POST', '/v1/auth/invitations/reject', { body: { token: first.token, email } });
    expect(rejectAfter.body.code).toBe('auth/invitation-already-accepted');

    const member = await signUp(t);
    await markEmailVerified(t, member.id);
    const raced = await invite(member.email);
    const results = await Promise.all(Array.from({ length: 5 }, () => accept({ token: raced.token })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 200).every((r) => r.body.code === 'auth/invitation-already-accepted')).toBe(true);
    const memberships = await t.ctx.db.selectFrom('memberships').select('id').where('user_id', '=', member.id).execute();
    expect(memberships).toHaveLength(1);
  });

  it('accepting with another email, or signed in as another account, is refused like an unknown token', async () => {
    const victim = await signUp(t);
    const { id, token } = await invite(victim.email, 'admin');
    for (const [body, jwt] of [
      [{ token, email: attacker.email }, undefined],
      [{ token, email: `${victim.email}.evil.test` }, undefined],
      [{ token }, attacker.accessToken],
      [{ token, email: victim.email }, attacker.accessToken],
    ] as const) {
      const res = await accept(body, jwt);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'auth/invalid-token' });
    }
    const reject = await t.request('POST', '/v1/auth/invitations/reject', { body: { token, email: attacker.email } });
    expect({ status: reject.status, code: reject.body.code }).toEqual({ status: 401, code: 'auth/invalid-token' });
    expect((await t.request('GET', `/v1/auth/invitations/${id}`, { key: TEST_SK })).body.status).toBe('pending');
    expect(await t.ctx.db.selectFrom('memberships').select('id').where('user_id', '=', attacker.id).execute()).toEqual([]);
  });

  it('an account squatting the invited address unverified never receives the membership', async () => {
    const email = uniqueEmail('squatted');
    const squatter = await signUp(t, { email });
    const { token } = await invite(email, 'admin');
    // The real owner of the address accepts from the email link, without signing in.
    expect((await accept({ token, email })).status).toBe(200);
    const res = await t.request('POST', '/v1/auth/switch-organization', { token: squatter.accessToken, body: { organizationId: org } });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'auth/forbidden' });
    const listed = await t.request('POST', '/v1/auth/invitations', { token: squatter.accessToken, body: { resourceType: 'organization', resourceId: org, email: uniqueEmail(), resourceRole: 'member' } });
    expect(listed.status).toBe(403);
  });

  it('an account that registered the invited address without verifying it does not see the invitation (A23/A24)', async () => {
    const email = uniqueEmail('unproven');
    const squatter = await signUp(t, { email });
    const { id } = await invite(email, 'admin');
    for (const query of ['', '?resourceType=user', '?status=pending']) {
      const res = await t.request('GET', `/v1/auth/invitations${query}`, { token: squatter.accessToken });
      expect({ query, status: res.status, items: res.body.items }).toEqual({ query, status: 200, items: [] });
    }
    const one = await t.request('GET', `/v1/auth/invitations/${id}`, { token: squatter.accessToken });
    expect({ status: one.status, code: one.body.code }).toEqual({ status: 404, code: 'auth/invitation-not-found' });
    // Once the address is proven, the invitation is theirs to see.
    await markEmailVerified(t, squatter.id);
    const mine = await t.request('GET', '/v1/auth/invitations?resourceType=user', { token: squatter.accessToken });
    expect(mine.body.items.map((i: { id: string }) => i.id)).toEqual([id]);
    expect((await t.request('GET', `/v1/auth/invitations/${id}`, { token: squatter.accessToken })).status).toBe(200);
  });

  it('never lists or shows invitations addressed to someone else', async () => {
    const victim = await signUp(t);
    await markEmailVerified(t, victim.id);
    const { id } = await invite(victim.email);
    for (const query of ['', '?resourceType=user', `?resourceType=organization&resourceId=${org}`, '?status=pending', '?limit=100']) {
      const res = await t.request('GET', `/v1/auth/invitations${query}`, { token: attacker.accessToken });
      expect(res.status).toBe(200);
      expect(res.body.items.map((i: { id: string }) => i.id)).not.toContain(id);
      expect(res.body.items.every((i: { email: string }) => i.email === attacker.email)).toBe(true);
    }
    const one = await t.request('GET', `/v1/auth/invitations/${id}`, { token: attacker.accessToken });
    expect({ status: one.status, code: one.body.code }).toEqual({ status: 404, code: 'auth/invitation-not-found' });
    const revoke = await t.request('DELETE', `/v1/auth/invitations/${id}`, { token: attacker.accessToken });
    expect({ status: revoke.status, code: revoke.body.code }).toEqual({ status: 404, code: 'auth/invitation-not-found' });
    // The victim sees it but, not being the inviter, cannot revoke it.
    expect((await t.request('GET', `/v1/auth/invitations/${id}`, { token: victim.accessToken })).status).toBe(200);
    const byInvitee = await t.request('DELETE', `/v1/auth/invitations/${id}`, { token: victim.accessToken });
    expect({ status: byInvitee.status, code: byInvitee.body.code }).toEqual({ status: 403, code: 'auth/forbidden' });
  });

  it('members cannot escalate: a `member` cannot invite, an `admin` member cannot mint owners', async () => {
    const plain = await signUp(t);
    await accept({ token: (await invite(plain.email, 'member')).token }, plain.accessToken);
    const manager = await signUp(t);
    await accept({ token: (await invite(manager.email, 'admin')).token }, manager.accessToken);
    const attempts: Array<[SignedUpUser, string, number]> = [
      [plain, 'member', 403],
      [manager, 'owner', 403],
      [manager, 'admin', 201],
      [attacker, 'member', 403],
    ];
    for (const [who, role, status] of attempts) {
      const res = await t.request('POST', '/v1/auth/invitations', { token: who.accessToken, body: { resourceType: 'organization', resourceId: org, email: uniqueEmail(), resourceRole: role } });
      expect({ role, status: res.status }).toEqual({ role, status });
    }
    // Nor can anyone invite themselves into a resource they do not manage.
    const self = await t.request('POST', '/v1/auth/invitations', { token: attacker.accessToken, body: { resourceType: 'organization', resourceId: org, email: attacker.email, resourceRole: 'owner' } });
    expect({ status: self.status, code: self.body.code }).toEqual({ status: 403, code: 'auth/forbidden' });
  });

  it.each([
    ['not hex', 'z'.repeat(64)],
    ['too short', 'a'.repeat(63)],
    ['unknown', 'a'.repeat(64)],
    ['a token hash', 'ab'.repeat(32)],
  ])('refuses a %s token with 401 auth/invalid-token', async (_name, token) => {
    const res = await accept({ token });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'auth/invalid-token' });
  });

  it('the stored token hash itself is not a token', async () => {
    const { id } = await invite(uniqueEmail('hash'));
    const row = await t.ctx.db.selectFrom('invitations').select('token_hash').where('id', '=', id).executeTakeFirstOrThrow();
    expect((await accept({ token: row.token_hash })).body.code).toBe('auth/invalid-token');
  });

  it('switching to an organization whose invitation is pending, rejected or revoked is refused', async () => {
    const user = await signUp(t);
    await markEmailVerified(t, user.id);
    const pending = await t.request('POST', '/v1/auth/invitations', { key: TEST_SK, body: { resourceType: 'organization', resourceId: 'org-p', email: user.email, resourceRole: 'member' } });
    expect(pending.status).toBe(201);
    const rejectedToken = tokenFromMail(mailer.lastTo(user.email));
    await t.request('POST', '/v1/auth/invitations', { key: TEST_SK, body: { resourceType: 'organization', resourceId: 'org-r', email: user.email, resourceRole: 'member' } });
    await t.request('POST', '/v1/auth/invitations/reject', { body: { token: tokenFromMail(mailer.lastTo(user.email)), email: user.email } });
    for (const organizationId of ['org-p', 'org-r']) {
      const res = await t.request('POST', '/v1/auth/switch-organization', { token: user.accessToken, body: { organizationId } });
      expect({ organizationId, status: res.status }).toEqual({ organizationId, status: 403 });
    }
    expect(rejectedToken).toMatch(/^[0-9a-f]{64}$/);
  });
});
