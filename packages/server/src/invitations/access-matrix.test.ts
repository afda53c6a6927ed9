import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signUp, uniqueEmail, type SignedUpUser } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { capturingMailer, signUpAs, tokenFromMail } from '../../test/helpers/users.js';

/**
 * auth-api.md §9 for A09 and A22–A27, every caller class. "self" is the user the row is about: the
 * owner of organization `org-w` who sent the pending invitation `sent`, and the invitee of `toSelf`.
 */
type Caller = 'anonymous' | 'user' | 'guest' | 'self' | 'adminJwt' | 'adminSk';
const CALLERS: Caller[] = ['anonymous', 'user', 'guest', 'self', 'adminJwt', 'adminSk'];
type Outcome = [status: number, code?: string];

interface World {
  self: SignedUpUser;
  user: SignedUpUser;
  guest: SignedUpUser;
  admin: SignedUpUser;
  org: string;
  /** Pending invitation sent by `self` to someone else. */
  sentId: string;
  /** Pending invitation addressed to `self` (another resource), and its token. */
  toSelfToken: string;
}

const OK: Outcome = [200];
const UNAUTHORIZED: Outcome = [401, 'auth/unauthorized'];
const FORBIDDEN: Outcome = [403, 'auth/forbidden'];
const NOT_FOUND: Outcome = [404, 'auth/invitation-not-found'];
const INVALID_TOKEN: Outcome = [401, 'auth/invalid-token'];

interface Row {
  id: string;
  method: string;
  path: (w: World) => string;
  body?: (w: World) => unknown;
  expected: Record<Caller, Outcome>;
}

const ROWS: Row[] = [
  {
    id: 'A09',
    method: 'POST',
    path: () => '/v1/auth/switch-organization',
    body: (w) => ({ organizationId: w.org }),
    // Membership is required, app admins included; the secret key alone is no user (auth-api.md §1.1).
    expected: { anonymous: UNAUTHORIZED, user: FORBIDDEN, guest: FORBIDDEN, self: OK, adminJwt: FORBIDDEN, adminSk: UNAUTHORIZED },
  },
  {
    id: 'A22',
    method: 'POST',
    path: () => '/v1/auth/invitations',
    body: (w) => ({ resourceType: 'organization', resourceId: w.org, email: uniqueEmail('invitee'), resourceRole: 'member' }),
    expected: { anonymous: UNAUTHORIZED, user: FORBIDDEN, guest: FORBIDDEN, self: [201], adminJwt: [201], adminSk: [201] },
  },
  {
    id: 'A23',
    method: 'GET',
    path: () => '/v1/auth/invitations',
    expected: { anonymous: UNAUTHORIZED, user: OK, guest: OK, self: OK, adminJwt: OK, adminSk: OK },
  },
  {
    id: 'A24',
    method: 'GET',
    path: (w) => `/v1/auth/invitations/${w.sentId}`,
    expected: { anonymous: UNAUTHORIZED, user: NOT_FOUND, guest: NOT_FOUND, self: OK, adminJwt: OK, adminSk: OK },
  },
  {
    id: 'A25',
    method: 'POST',
    path: () => '/v1/auth/invitations/accept',
    body: (w) => ({ token: w.toSelfToken }),
    // No JWT needed; a JWT of another email than the invited one is refused like a wrong email.
    expected: { anonymous: OK, user: INVALID_TOKEN, guest: INVALID_TOKEN, self: OK, adminJwt: INVALID_TOKEN, adminSk: OK },
  },
  {
    id: 'A26',
    method: 'POST',
    path: () => '/v1/auth/invitations/reject',
    body: (w) => ({ token: w.toSelfToken, email: w.self.email }),
    expected: { anonymous: OK, user: OK, guest: OK, self: OK, adminJwt: OK, adminSk: OK },
  },
  {
    id: 'A27',
    method: 'DELETE',
    path: (w) => `/v1/auth/invitations/${w.sentId}`,
    expected: { anonymous: UNAUTHORIZED, user: NOT_FOUND, guest: NOT_FOUND, self: OK, adminJwt: OK, adminSk: OK },
  },
];

function credentials(caller: Caller, w: World): { token?: string; key?: string } {
  if (caller === 'anonymous') return {};
  if (caller === 'adminSk') return { key: TEST_SK };
  const who = { user: w.user, guest: w.guest, self: w.self, adminJwt: w.admin }[caller];
  return { token: who.accessToken };
}

const CASES = ROWS.flatMap((row) => CALLERS.map((caller) => ({ row, caller, outcome: row.expected[caller] })));

describe.each(dialects)('§9 access matrix for organizations and invitations (%s)', (dialect) => {
  let t: TestApp;
  let w: World;
  const mailer = capturingMailer();
  beforeAll(async () => {
    t = await createTestApp(dialect, { mailer });
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    const [self, user, guest, admin] = [await signUp(t), await signUpAs(t, 'user'), await signUpAs(t, 'guest'), await signUpAs(t, 'admin')];
    const org = `org-${self.id.slice(-8)}`;
    // self becomes owner of org through an accepted invitation from the secret key (decisions.md §5).
    await t.request('POST', '/v1/auth/invitations', { key: TEST_SK, body: { resourceType: 'organization', resourceId: org, email: self.email, resourceRole: 'owner' } });
    const accepted = await t.request('POST', '/v1/auth/invitations/accept', { token: self.accessToken, body: { token: tokenFromMail(mailer.lastTo(self.email)) } });
    expect(accepted.status).toBe(200);
    const sent = await t.request('POST', '/v1/auth/invitations', { token: self.accessToken, body: { resourceType: 'organization', resourceId: org, email: uniqueEmail('pending'), resourceRole: 'member' } });
    expect(sent.status).toBe(201);
    await t.request('POST', '/v1/auth/invitations', { key: TEST_SK, body: { resourceType: 'project', resourceId: `p-${org}`, email: self.email, resourceRole: 'viewer' } });
    w = { self, user, guest, admin, org, sentId: sent.body.id, toSelfToken: tokenFromMail(mailer.lastTo(self.email)) };
  });

  it.each(CASES.map((c) => [c.row.id, c.row.method, c.caller, c.outcome[0], c.outcome[1] ?? '-', c]))(
    '%s %s as %s → %i %s',
    async (_id, _method, _caller, status, code, c) => {
      const { row, caller } = c as (typeof CASES)[number];
      const res = await t.request(row.method, row.path(w), { ...credentials(caller, w), body: row.body?.(w) });
      expect({ status: res.status, code: res.body?.code }).toEqual({ status, code: code === '-' ? undefined : code });
    },
  );
});
