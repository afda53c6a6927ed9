import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signUp, uniqueEmail, type SignedUpUser } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { IMAGE_BYTES, putUpload, signUpAs } from '../../test/helpers/users.js';

/**
 * auth-api.md §9 as a table: every /v1/users endpoint × every caller class → status and code.
 * Each row runs against a fresh set of users, so destructive calls (delete, role) cannot leak.
 */
type Caller = 'anonymous' | 'user' | 'guest' | 'self' | 'adminJwt' | 'adminSk';
const CALLERS: Caller[] = ['anonymous', 'user', 'guest', 'self', 'adminJwt', 'adminSk'];

interface World {
  target: SignedUpUser;
  user: SignedUpUser;
  guest: SignedUpUser;
  admin: SignedUpUser;
  /** An uploaded, not yet attached avatar object of the target (for U10). */
  uploadKey: string;
}

type Outcome = [status: number, code?: string];
const OK: Outcome = [200];
const CREATED: Outcome = [201];
const UNAUTHORIZED: Outcome = [401, 'user/unauthorized'];
const FORBIDDEN: Outcome = [403, 'user/forbidden'];

/** self or admin (U04, U05, U08–U19). */
const SELF_OR_ADMIN: Record<Caller, Outcome> = { anonymous: UNAUTHORIZED, user: FORBIDDEN, guest: FORBIDDEN, self: OK, adminJwt: OK, adminSk: OK };
/** any signed-in caller (U01, U03). */
const SIGNED_IN: Record<Caller, Outcome> = { anonymous: UNAUTHORIZED, user: OK, guest: OK, self: OK, adminJwt: OK, adminSk: OK };
/** admin only (U02 201, U06 200). */
const adminOnly = (success: Outcome): Record<Caller, Outcome> => ({ anonymous: UNAUTHORIZED, user: FORBIDDEN, guest: FORBIDDEN, self: FORBIDDEN, adminJwt: success, adminSk: success });

interface Row {
  id: string;
  method: string;
  path: (w: World) => string;
  body?: (w: World) => unknown;
  expected: Record<Caller, Outcome>;
}

const u = (w: World) => `/v1/users/${w.target.id}`;
const ROWS: Row[] = [
  { id: 'U01', method: 'GET', path: () => '/v1/users', expected: SIGNED_IN },
  { id: 'U02', method: 'POST', path: () => '/v1/users', body: () => ({ name: 'New', email: uniqueEmail('created') }), expected: adminOnly(CREATED) },
  { id: 'U03', method: 'GET', path: u, expected: SIGNED_IN },
  { id: 'U04', method: 'PATCH', path: u, body: () => ({ name: 'Renamed' }), expected: SELF_OR_ADMIN },
  { id: 'U05', method: 'DELETE', path: u, expected: SELF_OR_ADMIN },
  { id: 'U06', method: 'PATCH', path: (w) => `${u(w)}/role`, body: () => ({ role: 'guest' }), expected: adminOnly(OK) },
  // The target's profile is private (the default), so other users are refused.
  { id: 'U07', method: 'GET', path: (w) => `${u(w)}/profile`, expected: SELF_OR_ADMIN },
  { id: 'U08', method: 'PATCH', path: (w) => `${u(w)}/profile`, body: () => ({ bio: 'hello' }), expected: SELF_OR_ADMIN },
  { id: 'U09', method: 'POST', path: (w) => `${u(w)}/avatar/upload-url`, body: () => ({ filename: 'a.png', contentType: 'image/png' }), expected: SELF_OR_ADMIN },
  { id: 'U10', method: 'PATCH', path: (w) => `${u(w)}/avatar`, body: (w) => ({ s3Key: w.uploadKey }), expected: SELF_OR_ADMIN },
  { id: 'U11', method: 'DELETE', path: (w) => `${u(w)}/avatar`, expected: SELF_OR_ADMIN },
  { id: 'U12', method: 'GET', path: (w) => `${u(w)}/preferences`, expected: SELF_OR_ADMIN },
  { id: 'U13', method: 'PATCH', path: (w) => `${u(w)}/preferences`, body: () => ({ theme: 'dark' }), expected: SELF_OR_ADMIN },
  { id: 'U14', method: 'GET', path: (w) => `${u(w)}/notifications`, expected: SELF_OR_ADMIN },
  { id: 'U15', method: 'PATCH', path: (w) => `${u(w)}/notifications`, body: () => ({ marketing: true }), expected: SELF_OR_ADMIN },
  { id: 'U16', method: 'GET', path: (w) => `${u(w)}/onboarding`, expected: SELF_OR_ADMIN },
  { id: 'U17', method: 'PATCH', path: (w) => `${u(w)}/onboarding`, body: () => ({ status: 'in_progress' }), expected: SELF_OR_ADMIN },
  { id: 'U18', method: 'GET', path: (w) => `${u(w)}/public-settings`, expected: SELF_OR_ADMIN },
  { id: 'U19', method: 'PATCH', path: (w) => `${u(w)}/public-settings`, body: () => ({ isPublic: true }), expected: SELF_OR_ADMIN },
];

function credentials(caller: Caller, w: World): { token?: string; key?: string } {
  switch (caller) {
    case 'anonymous':
      return {};
    case 'user':
      return { token: w.user.accessToken };
    case 'guest':
      return { token: w.guest.accessToken };
    case 'self':
      return { token: w.target.accessToken };
    case 'adminJwt':
      return { token: w.admin.accessToken };
    case 'adminSk':
      return { key: TEST_SK };
  }
}

const CASES = ROWS.flatMap((row) => CALLERS.map((caller) => ({ row, caller, outcome: row.expected[caller] })));

describe.each(dialects)('§9 access matrix for /v1/users (%s)', (dialect) => {
  let t: TestApp;
  let w: World;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: { LATCH_STORAGE_DIR: mkdtempSync(join(tmpdir(), 'latch-users-matrix-')) } });
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    const [target, user, guest, admin] = [await signUp(t), await signUpAs(t, 'user'), await signUpAs(t, 'guest'), await signUpAs(t, 'admin')];
    const issued = await t.request('POST', `/v1/users/${target.id}/avatar/upload-url`, { key: TEST_SK, body: { filename: 'a.png', contentType: 'image/png' } });
    expect((await putUpload(t, issued.body.url, IMAGE_BYTES.png)).status).toBe(200);
    w = { target, user, guest, admin, uploadKey: issued.body.key };
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
