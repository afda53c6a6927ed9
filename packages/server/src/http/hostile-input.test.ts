import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signUp, STRONG_PASSWORD, uniqueEmail, type SignedUpUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { expectErrorEnvelope } from '../../test/setup/expect-envelope.js';

/**
 * SQL-ish and unicode strings in every body field of A01, A02, A06 and A12: the answer is a documented
 * 4xx (or a success that stores the value verbatim), never a 500, and a refused request leaves the users
 * table exactly as it was.
 */
const HOSTILE: Array<[string, string]> = [
  ['sql quote', "' OR 1=1 --"],
  ['sql stacked', '"; DROP TABLE users; --'],
  ['NUL alone', '\u0000'],
  ['NUL inside', 'Ada\u0000Lovelace'],
  ['unpaired surrogate', 'Ada\uD800Lovelace'],
  ['emoji', '🔐👩‍💻🏳️‍🌈'],
  ['RTL marks', '\u202Eevil\u202C\u200F\u200E'],
  ['10k chars', 'x'.repeat(10_000)],
];
// Type confusion: the JSON is valid, the types are not (including NoSQL-style operator objects).
const WRONG_TYPES: Array<[string, unknown]> = [
  ['number', 123],
  ['boolean', true],
  ['object', { $gt: '' }],
  ['array', ['a']],
];

const CODES = {
  A01: ['auth/validation-error', 'auth/invalid-email', 'auth/invalid-password-format', 'auth/weak-password', 'auth/email-already-exists', 'auth/invalid-redirect-url', 'auth/too-many-requests'],
  A02: ['auth/validation-error', 'auth/invalid-email', 'auth/invalid-credentials', 'auth/invalid-mfa-code', 'auth/invalid-redirect-url', 'auth/too-many-login-attempts', 'auth/account-locked'],
  A06: ['auth/validation-error', 'auth/invalid-refresh-token', 'auth/session-expired', 'auth/too-many-requests'],
  A12: ['auth/validation-error', 'auth/invalid-password', 'auth/invalid-password-format', 'auth/weak-password', 'auth/same-as-previous-password', 'auth/too-many-requests'],
};

interface Case {
  endpoint: keyof typeof CODES;
  field: string;
  value: unknown;
  label: string;
}

const FIELDS: Record<keyof typeof CODES, string[]> = {
  A01: ['method', 'email', 'password', 'name', 'callbackUrl'],
  A02: ['method', 'email', 'password', 'mfaCode', 'callbackUrl'],
  A06: ['refreshToken'],
  A12: ['currentPassword', 'newPassword'],
};
const REQUIRED = new Set(['A01.method', 'A01.email', 'A01.password', 'A01.name', 'A02.method', 'A02.email', 'A02.password', 'A06.refreshToken', 'A12.currentPassword', 'A12.newPassword']);

const cases: Case[] = [];
for (const [endpoint, fields] of Object.entries(FIELDS) as Array<[keyof typeof CODES, string[]]>) {
  for (const field of fields) {
    for (const [label, value] of HOSTILE) cases.push({ endpoint, field, value, label });
    // An address whose local part is hostile is still an address-shaped string.
    if (field === 'email') for (const [label, value] of HOSTILE) cases.push({ endpoint, field, value: `${value}@example.com`, label: `${label} as local part` });
  }
}

describe.each(dialects)('hostile strings in every field of A01/A02/A06/A12 (%s)', (dialect) => {
  let t: TestApp;
  let victim: SignedUpUser;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    victim = await signUp(t);
  });
  afterAll(async () => {
    await t.close();
  });

  async function send(endpoint: keyof typeof CODES, field: string, value: unknown) {
    if (endpoint === 'A01') {
      const body = { method: 'password', email: uniqueEmail('hostile'), password: STRONG_PASSWORD, name: 'Hostile Test', [field]: value };
      return { res: await t.request('POST', '/v1/auth/email/signup', { body }), body };
    }
    if (endpoint === 'A02') {
      const body = { method: 'password', email: victim.email, password: victim.password, [field]: value };
      return { res: await t.request('POST', '/v1/auth/email/signin', { body }), body };
    }
    if (endpoint === 'A06') {
      const body = { refreshToken: value };
      return { res: await t.request('POST', '/v1/auth/refresh', { body }), body };
    }
    const user = await signUp(t);
    const body = { currentPassword: user.password, newPassword: 'Another-Strong-Pass-5%', [field]: value };
    return { res: await t.request('POST', '/v1/auth/password/change', { body, token: user.accessToken }), body, user };
  }

  it.each(cases.map((c) => [`${c.endpoint} ${c.field} ← ${c.label}`, c] as const))('%s', async (_name, c) => {
    const before = await snapshotUsers(t);
    const { res, body } = await send(c.endpoint, c.field, c.value);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBeLessThan(500);
    if (res.status >= 400) {
      expectErrorEnvelope(res, res.status, res.body.code);
      expect(CODES[c.endpoint]).toContain(res.body.code);
      const after = await snapshotUsers(t);
      // A12 signs a fresh user up first; apart from that one row, nothing changed.
      expect(after.filter((row) => before.some((b) => b.id === row.id))).toEqual(before);
      expect(after.length - before.length).toBe(c.endpoint === 'A12' ? 1 : 0);
      return;
    }
    // Accepted: the value was data, and it is stored exactly (A01 name and email), nothing else touched.
    if (c.endpoint === 'A01') {
      expect(res.status).toBe(201);
      const email = String((body as { email: string }).email).trim().normalize('NFC').toLowerCase();
      const row = await t.ctx.db.selectFrom('users').select(['name', 'email']).where('email_normalized', '=', email).executeTakeFirstOrThrow();
      if (c.field === 'name') expect(row.name).toBe(String(c.value).trim().normalize('NFC'));
      if (c.field === 'email') expect(row.email).toBe(String(c.value).trim().normalize('NFC'));
    }
    const after = await snapshotUsers(t);
    expect(after.length).toBe(before.length + (c.endpoint === 'A01' ? 1 : 0));
  });

  it.each(
    Object.entries(FIELDS).flatMap(([endpoint, fields]) =>
      fields.flatMap((field) => WRONG_TYPES.map(([label, value]) => [`${endpoint} ${field} ← ${label}`, endpoint as keyof typeof CODES, field, value] as const)),
    ),
  )('%s → 400 auth/validation-error', async (_name, endpoint, field, value) => {
    const before = await snapshotUsers(t);
    const { res } = await send(endpoint, field, value);
    expectErrorEnvelope(res, 400, 'auth/validation-error');
    const after = await snapshotUsers(t);
    expect(after.filter((row) => before.some((b) => b.id === row.id))).toEqual(before);
  });

  it('null in a required field is a validation error', async () => {
    for (const key of REQUIRED) {
      const [endpoint, field] = key.split('.') as [keyof typeof CODES, string];
      const { res } = await send(endpoint, field, null);
      expect({ key, code: res.body.code }).toEqual({ key, code: 'auth/validation-error' });
    }
  });

  it('the users table survived every case', async () => {
    const row = await t.ctx.db.selectFrom('users').select('id').where('id', '=', victim.id).executeTakeFirst();
    expect(row?.id).toBe(victim.id);
    expect((await t.request('POST', '/v1/auth/email/signin', { body: { method: 'password', email: victim.email, password: victim.password } })).status).toBe(200);
  });
});

async function snapshotUsers(t: TestApp) {
  return t.ctx.db
    .selectFrom('users')
    .select(['id', 'email', 'email_normalized', 'name', 'role', 'password_hash', 'banned_at', 'deleted_at', 'created_at'])
    .orderBy('id')
    .execute();
}
