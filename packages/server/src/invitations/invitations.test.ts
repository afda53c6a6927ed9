import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../crypto/digest.js';
import { dialects } from '../../test/helpers/databases.js';
import { signUp, uniqueEmail, type SignedUpUser } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { capturingMailer, markEmailVerified, signUpAs, tokenFromMail } from '../../test/helpers/users.js';

const DAY = 86_400_000;

function claimsOf(accessToken: string) {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString());
}

describe.each(dialects)('A22–A27 invitations (%s)', (dialect) => {
  let t: TestApp;
  const mailer = capturingMailer();
  let owner: SignedUpUser;
  let org: string;
  beforeAll(async () => {
    t = await createTestApp(dialect, { mailer, env: { LATCH_ALLOWED_REDIRECT_URLS: 'https://app.example.test/invite' } });
    owner = await signUp(t, { name: 'Olivia Owner' });
    org = `org-${owner.id.slice(-6)}`;
    await t.request('POST', '/v1/auth/invitations', { key: TEST_SK, body: { resourceType: 'organization', resourceId: org, email: owner.email, resourceRole: 'owner' } });
    await t.request('POST', '/v1/auth/invitations/accept', { token: owner.accessToken, body: { token: tokenFromMail(mailer.lastTo(owner.email)) } });
  });
  afterAll(async () => {
    await t.close();
  });
  const invite = (body: Record<string, unknown>, auth: { token?: string; key?: string } = { token: owner.accessToken }) =>
    t.request('POST', '/v1/auth/invitations', { ...auth, body: { resourceType: 'organization', resourceId: org, resourceRole: 'member', ...body } });

  it('A22 answers 201 with a pending Invitation, stores only the token hash, and mails the link', async () => {
    const email = uniqueEmail('new');
    const res = await invite({ email, name: 'Nina', resourceName: 'Acme <Inc>', callbackUrl: 'https://app.example.test/invite/accept?from=mail#top' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      resourceType: 'organization',
      resourceId: org,
      resourceName: 'Acme <Inc>',
      resourceRole: 'member',
      email,
      name: 'Nina',
      status: 'pending',
      expiresAt: new Date(t.clock.now() + 7 * DAY).toISOString(),
      invitedBy: owner.id,
      inviterName: 'Olivia Owner',
      respondedAt: null,
      createdAt: new Date(t.clock.now()).toISOString(),
      updatedAt: new Date(t.clock.now()).toISOString(),
    });
    const mail = mailer.lastTo(email);
    expect(mail.template).toBe('invitation');
    const token = tokenFromMail(mail);
    const link = new URL(/https:\/\/\S+/.exec(mail.text)![0]);
    expect(link.origin + link.pathname).toBe('https://app.example.test/invite/accept');
    expect(Object.fromEntries(link.searchParams)).toEqual({ from: 'mail', token, email });
    expect(link.hash).toBe('#top');
    expect(mail.html).toContain('Acme &lt;Inc&gt;');
    expect(mail.html).not.toContain('<Inc>');
    const row = await t.ctx.db.selectFrom('invitations').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(sha256Hex(token));
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it.each([
    [{ email: 'nope' }, 400, 'auth/invalid-email'],
    [{ email: 'x@example.test', resourceRole: 'Owner!' }, 400, 'auth/validation-error'],
    [{ email: 'x@example.test', resourceType: 'team' }, 400, 'auth/validation-error'],
    [{ email: 'x@example.test', resourceId: 'r'.repeat(129) }, 400, 'auth/validation-error'],
    [{ email: 'x@example.test', callbackUrl: 'https://evil.test/phish' }, 400, 'auth/invalid-redirect-url'],
    [{ email: 'x@example.test', callbackUrl: 'javascript:alert(1)' }, 400, 'auth/invalid-redirect-url'],
  ])('A22 refuses %j with %i %s', async (body, status, code) => {
    const res = await invite(body);
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  });

  it('a re-invite replaces the pending invitation: the old token stops working', async () => {
    const email = uniqueEmail('again');
    const first = await invite({ email });
    const oldToken = tokenFromMail(mailer.lastTo(email));
    const second = await invite({ email: email.toUpperCase(), resourceRole: 'admin' });
    const newToken = tokenFromMail(mailer.lastTo(email));
    expect((await t.request('GET', `/v1/auth/invitations/${first.body.id}`, { key: TEST_SK })).body.status).toBe('revoked');
    const old = await t.request('POST', '/v1/auth/invitations/accept', { body: { token: oldToken } });
    expect({ status: old.status, code: old.body.code }).toEqual({ status: 404, code: 'auth/invitation-not-found' });
    const fresh = await t.request('POST', '/v1/auth/invitations/accept', { body: { token: newToken, email } });
    expect(fresh.body).toMatchObject({ id: second.body.id, status: 'accepted', resourceRole: 'admin' });
  });

  it('A25 binds the membership to an existing verified account, which can then switch organization (A09)', async () => {
    const member = await signUp(t);
    await markEmailVerified(t, member.id);
    await invite({ email: member.email, resourceRole: 'admin' });
    const accepted = await t.request('POST', '/v1/auth/invitations/accept', { body: { token: tokenFromMail(mailer.lastTo(member.email)) } });
    expect(accepted.body).toMatchObject({ status: 'accepted', respondedAt: new Date(t.clock.now()).toISOString() });
    const membership = await t.ctx.db.selectFrom('memberships').selectAll().where('user_id', '=', member.id).executeTakeFirstOrThrow();
    expect(membership).toMatchObject({ resource_type: 'organization', resource_id: org, role: 'admin' });
    const switched = await t.request('POST', '/v1/auth/switch-organization', { token: member.accessToken, body: { organizationId: org } });
    expect(switched.status).toBe(200);
    expect(Object.keys(switched.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
    expect(claimsOf(switched.body.accessToken)).toMatchObject({ sub: member.id, org, sid: claimsOf(member.accessToken).sid });
  });

  it('an invitation accepted before the account exists is bound once that address is verified', async () => {
    const email = uniqueEmail('later');
    await invite({ email });
    const token = tokenFromMail(mailer.lastTo(email));
    expect((await t.request('POST', '/v1/auth/invitations/accept', { body: { token, email } })).status).toBe(200);
    const later = await signUp(t, { email });
    const before = await t.request('POST', '/v1/auth/switch-organization', { token: later.accessToken, body: { organizationId: org } });
    expect({ status: before.status, code: before.body.code }).toEqual({ status: 403, code: 'auth/forbidden' });
    await markEmailVerified(t, later.id);
    const after = await t.request('POST', '/v1/auth/switch-organization', { token: later.accessToken, body: { organizationId: org } });
    expect(after.status).toBe(200);
  });

  it('A25 with the invitee\'s own JWT binds at once, even before verification (the token proves the address)', async () => {
    const invitee = await signUp(t);
    await invite({ email: invitee.email });
    const res = await t.request('POST', '/v1/auth/invitations/accept', { token: invitee.accessToken, body: { token: tokenFromMail(mailer.lastTo(invitee.email)) } });
    expect(res.status).toBe(200);
    expect((await t.request('POST', '/v1/auth/switch-organization', { token: invitee.accessToken, body: { organizationId: org } })).status).toBe(200);
  });

  it('expiry is computed on read: 400 auth/invitation-expired, listed and filtered as expired', async () => {
    const email = uniqueEmail('slow');
    const created = await invite({ email });
    const token = tokenFromMail(mailer.lastTo(email));
    t.clock.advance(7 * DAY);
    // The owner's tokens expired with the week: sign in again.
    owner = { ...owner, accessToken: (await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: owner.email, password: owner.password } })).body.accessToken };
    const res = await t.request('POST', '/v1/auth/invitations/accept', { body: { token } });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'auth/invitation-expired' });
    expect((await t.request('POST', '/v1/auth/invitations/reject', { body: { token, email } })).body.code).toBe('auth/invitation-expired');
    const one = await t.request('GET', `/v1/auth/invitations/${created.body.id}`, { token: owner.accessToken });
    expect(one.body.status).toBe('expired');
    const expired = await t.request('GET', `/v1/auth/invitations?status=expired&resourceId=${org}&limit=100`, { token: owner.accessToken });
    expect(expired.body.items.map((i: { id: string }) => i.id)).toContain(created.body.id);
    const pending = await t.request('GET', `/v1/auth/invitations?status=pending&resourceId=${org}&limit=100`, { token: owner.accessToken });
    expect(pending.body.items.map((i: { id: string }) => i.id)).not.toContain(created.body.id);
  });

  it('A26 rejects with token and email; the invitation can then be neither accepted nor revoked', async () => {
    const email = uniqueEmail('no');
    const created = await invite({ email });
    const token = tokenFromMail(mailer.lastTo(email));
    const res = await t.request('POST', '/v1/auth/invitations/reject', { body: { token, email } });
    expect(res).toMatchObject({ status: 200, body: {} });
    expect((await t.request('GET', `/v1/auth/invitations/${created.body.id}`, { key: TEST_SK })).body).toMatchObject({ status: 'rejected', respondedAt: expect.any(String) });
    expect((await t.request('POST', '/v1/auth/invitations/accept', { body: { token } })).body.code).toBe('auth/invitation-not-found');
    expect((await t.request('DELETE', `/v1/auth/invitations/${created.body.id}`, { token: owner.accessToken })).body.code).toBe('auth/invitation-not-found');
    const missing = await t.request('POST', '/v1/auth/invitations/reject', { body: { token } });
    expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 400, code: 'auth/validation-error' });
  });

  it('A27 revokes a pending invitation (its token stops working); an accepted one is 400', async () => {
    const email = uniqueEmail('revoked');
    const created = await invite({ email });
    const token = tokenFromMail(mailer.lastTo(email));
    const res = await t.request('DELETE', `/v1/auth/invitations/${created.body.id}`, { token: owner.accessToken });
    expect(res).toMatchObject({ status: 200, body: { message: expect.any(String) } });
    expect((await t.request('POST', '/v1/auth/invitations/accept', { body: { token } })).body.code).toBe('auth/invitation-not-found');
    const acceptedEmail = uniqueEmail('kept');
    const accepted = await invite({ email: acceptedEmail });
    await t.request('POST', '/v1/auth/invitations/accept', { body: { token: tokenFromMail(mailer.lastTo(acceptedEmail)) } });
    const late = await t.request('DELETE', `/v1/auth/invitations/${accepted.body.id}`, { token: owner.accessToken });
    expect({ status: late.status, code: late.body.code }).toEqual({ status: 400, code: 'auth/invitation-already-accepted' });
  });

  it('A23 lists what the caller sent, what is addressed to them (resourceType=user), newest first, 10 per page', async () => {
    const invitee = await signUp(t);
    // Invitations addressed to an account's email are visible once that address is verified.
    await markEmailVerified(t, invitee.id);
    for (let i = 0; i < 12; i++) {
      await invite({ email: invitee.email, resourceId: `${org}-p${i}`, resourceType: 'project' }, { key: TEST_SK });
      t.clock.advance(1000);
    }
    const mine = await t.request('GET', '/v1/auth/invitations?resourceType=user', { token: invitee.accessToken });
    expect(mine.body.pagination).toEqual({ page: 1, limit: 10, total: 12, totalPages: 2, hasNext: true, hasPrev: false });
    expect(mine.body.items[0].resourceId).toBe(`${org}-p11`);
    expect(mine.body.items.every((i: { email: string }) => i.email === invitee.email)).toBe(true);
    const sent = await t.request('GET', `/v1/auth/invitations?resourceType=organization&resourceId=${org}&limit=100`, { token: owner.accessToken });
    expect(sent.body.items.length).toBeGreaterThan(3);
    expect(sent.body.items.every((i: { resourceId: string }) => i.resourceId === org)).toBe(true);
    const bad = await t.request('GET', '/v1/auth/invitations?limit=101', { token: owner.accessToken });
    expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 400, code: 'auth/validation-error' });
    const skUser = await t.request('GET', '/v1/auth/invitations?resourceType=user', { key: TEST_SK });
    expect({ status: skUser.status, code: skUser.body.code }).toEqual({ status: 400, code: 'auth/validation-error' });
  });

  it('a co-admin of the organization sees and may revoke invitations the owner sent', async () => {
    const coadmin = await signUp(t);
    await invite({ email: coadmin.email, resourceRole: 'admin' });
    await t.request('POST', '/v1/auth/invitations/accept', { token: coadmin.accessToken, body: { token: tokenFromMail(mailer.lastTo(coadmin.email)) } });
    const email = uniqueEmail('co');
    const created = await invite({ email });
    expect((await t.request('GET', `/v1/auth/invitations/${created.body.id}`, { token: coadmin.accessToken })).status).toBe(200);
    expect((await t.request('DELETE', `/v1/auth/invitations/${created.body.id}`, { token: coadmin.accessToken })).status).toBe(200);
  });
});

describe.each(dialects)('A09 switch-organization (%s)', (dialect) => {
  let t: TestApp;
  const mailer = capturingMailer();
  let member: SignedUpUser;
  beforeAll(async () => {
    t = await createTestApp(dialect, { mailer });
    member = await signUp(t);
    for (const org of ['org-a', 'org-b']) {
      await t.request('POST', '/v1/auth/invitations', { key: TEST_SK, body: { resourceType: 'organization', resourceId: org, email: member.email, resourceRole: 'member' } });
      await t.request('POST', '/v1/auth/invitations/accept', { token: member.accessToken, body: { token: tokenFromMail(mailer.lastTo(member.email)) } });
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('rotates the pair on the same session, keeps `org` across refreshes, and retires the replaced refresh token', async () => {
    const session = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: member.email, password: member.password } });
    const switched = await t.request('POST', '/v1/auth/switch-organization', { token: session.body.accessToken, body: { organizationId: 'org-a' } });
    expect(switched.body.refreshToken).not.toBe(session.body.refreshToken);
    const sid = claimsOf(session.body.accessToken).sid;
    expect(claimsOf(switched.body.accessToken)).toMatchObject({ sid, org: 'org-a' });
    const row = await t.ctx.db.selectFrom('sessions').select(['org_id', 'refresh_token_hash']).where('id', '=', sid).executeTakeFirstOrThrow();
    expect(row).toEqual({ org_id: 'org-a', refresh_token_hash: sha256Hex(switched.body.refreshToken) });

    // Inside the reuse interval the replaced token gets the session's current pair (decisions.md §2).
    const grace = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: session.body.refreshToken } });
    expect(grace.body.refreshToken).toBe(switched.body.refreshToken);
    expect(claimsOf(grace.body.accessToken).org).toBe('org-a');

    const refreshed = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: switched.body.refreshToken } });
    expect(claimsOf(refreshed.body.accessToken)).toMatchObject({ sid, org: 'org-a' });
    const other = await t.request('POST', '/v1/auth/switch-organization', { token: refreshed.body.accessToken, body: { organizationId: 'org-b' } });
    expect(claimsOf(other.body.accessToken).org).toBe('org-b');

    // After the interval, the replaced token is a reuse: every session of the user ends.
    t.clock.advance(60_000);
    const reuse = await t.request('POST', '/v1/auth/refresh', { body: { refreshToken: switched.body.refreshToken } });
    expect({ status: reuse.status, code: reuse.body.code }).toEqual({ status: 401, code: 'auth/invalid-refresh-token' });
    expect((await t.request('GET', '/v1/auth/me', { token: other.body.accessToken })).status).toBe(401);
  });

  it.each([
    [{ organizationId: 'org-elsewhere' }, 403, 'auth/forbidden'],
    [{ organizationId: '' }, 400, 'auth/validation-error'],
    [{}, 400, 'auth/validation-error'],
  ])('refuses %j with %i %s', async (body, status, code) => {
    const fresh = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: member.email, password: member.password } });
    const res = await t.request('POST', '/v1/auth/switch-organization', { token: fresh.body.accessToken, body });
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  });

  it('a project membership is no organization membership', async () => {
    await t.request('POST', '/v1/auth/invitations', { key: TEST_SK, body: { resourceType: 'project', resourceId: 'proj-x', email: member.email, resourceRole: 'owner' } });
    const fresh = await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: member.email, password: member.password } });
    await t.request('POST', '/v1/auth/invitations/accept', { token: fresh.body.accessToken, body: { token: tokenFromMail(mailer.lastTo(member.email)) } });
    const res = await t.request('POST', '/v1/auth/switch-organization', { token: fresh.body.accessToken, body: { organizationId: 'proj-x' } });
    expect(res.status).toBe(403);
  });
});

describe.each(dialects)('invitation email delivery and limits (%s)', (dialect) => {
  it('revokes the invitation and answers 500 when the email cannot be sent', async () => {
    const failing = { kind: 'outbox' as const, send: async () => Promise.reject(new Error('smtp down')), close: async () => {} };
    const t = await createTestApp(dialect, { mailer: failing });
    try {
      const email = uniqueEmail();
      const res = await t.request('POST', '/v1/auth/invitations', { key: TEST_SK, body: { resourceType: 'organization', resourceId: 'o', email, resourceRole: 'member' } });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 500, code: 'common/internal-error' });
      const row = await t.ctx.db.selectFrom('invitations').select('status').where('email_normalized', '=', email).executeTakeFirstOrThrow();
      expect(row.status).toBe('revoked');
    } finally {
      await t.close();
    }
  });

  it('bounds invitations per signed-in inviter (LATCH_RATE_INVITATIONS_USER) with 429 and Retry-After', async () => {
    const mailer = capturingMailer();
    const t = await createTestApp(dialect, { mailer, env: { LATCH_RATE_INVITATIONS_USER: '2/3600' } });
    try {
      const admin = await signUpAs(t, 'admin');
      const send = () => t.request('POST', '/v1/auth/invitations', { token: admin.accessToken, body: { resourceType: 'organization', resourceId: 'o', email: uniqueEmail(), resourceRole: 'member' } });
      expect((await send()).status).toBe(201);
      expect((await send()).status).toBe(201);
      const third = await send();
      expect({ status: third.status, code: third.body.code }).toEqual({ status: 429, code: 'auth/too-many-requests' });
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      expect(mailer.sent.filter((m) => m.template === 'invitation')).toHaveLength(2);
    } finally {
      await t.close();
    }
  });
});
