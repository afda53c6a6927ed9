import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeKey } from '../api-keys/api-keys.js';
import { createDataKit, ids, tableName, type DataKit, type Requester } from '../../test/helpers/data-tables.js';
import { dialects } from '../../test/helpers/databases.js';
import { signUp } from '../../test/helpers/factories.js';
import { createTestApp } from '../../test/helpers/test-app.js';

/**
 * data-and-rls.md §6, every worked example, on SQLite and PostgreSQL. U1 and U2 are users, M has the
 * custom role `moderator`, G is the publishable key alone, A the secret key without scopes. r1 is
 * U1's, r2 U2's, rm M's, r0 a guest row (createdBy "").
 */
type Target = 'r0' | 'r1' | 'r2' | 'x';
interface Check {
  who: Requester;
  op: 'list' | 'read' | 'create' | 'update' | 'delete';
  target?: Target;
  body?: Record<string, unknown>;
  key?: 'scoped';
  status: number;
  code?: string;
  /** For lists: the expected row set, from the seeded rows. */
  rows?: 'all' | 'none' | Requester | ((seed: Seed) => string[]);
  expect?: (body: any, seed: Seed, kit: DataKit) => void | Promise<void>;
}
interface Example {
  n: number;
  rule: string;
  system?: boolean;
  policy?: Record<string, unknown>;
  scopes?: { type: 'publishable' | 'secret'; scopes: (table: string) => string[] };
  checks: Check[];
}
interface Seed {
  table: string;
  rows: Record<'r0' | 'r1' | 'r2' | 'rm', any>;
  all: string[];
}

const published = (seed: Seed, owner: string) =>
  Object.values(seed.rows).filter((r) => r.status === 'published' || r.createdBy === owner).map((r) => r.id).sort();

const EXAMPLES: Example[] = [
  { n: 1, rule: 'scope before admin', scopes: { type: 'secret', scopes: (t) => [`${t}:read`] }, checks: [{ who: 'A', key: 'scoped', op: 'delete', target: 'r1', status: 403, code: 'data/scope-insufficient' }] },
  { n: 2, rule: 'scope read covers list', scopes: { type: 'publishable', scopes: (t) => [`${t}:read`] }, checks: [{ who: 'G', key: 'scoped', op: 'list', status: 200, rows: 'all' }] },
  { n: 3, rule: 'admin bypass incl. system table', system: true, checks: [{ who: 'A', op: 'list', status: 200, rows: 'all' }] },
  { n: 4, rule: 'system table, unconfigured', system: true, checks: [{ who: 'U1', op: 'read', target: 'x', status: 403, code: 'data/system-table-access' }] },
  { n: 5, rule: 'system table, configured', system: true, policy: { permissions: { user: { read: true } } }, checks: [{ who: 'U1', op: 'read', target: 'x', status: 200 }] },
  { n: 6, rule: 'defaults: guest reads', checks: [{ who: 'G', op: 'list', status: 200, rows: 'all' }] },
  { n: 7, rule: 'defaults: guest cannot create', checks: [{ who: 'G', op: 'create', body: { title: 'g' }, status: 403, code: 'data/permission-denied' }] },
  { n: 8, rule: 'defaults: no update even own', checks: [{ who: 'U1', op: 'update', target: 'r1', body: { title: 'x' }, status: 403, code: 'data/permission-denied' }] },
  { n: 9, rule: 'configured: missing flags are false', policy: { permissions: { user: { create: true }, guest: {} } }, checks: [{ who: 'G', op: 'read', target: 'r1', status: 403, code: 'data/permission-denied' }] },
  { n: 10, rule: 'configured: missing group is false', policy: { permissions: { user: { read: true } } }, checks: [{ who: 'G', op: 'read', target: 'r1', status: 403, code: 'data/permission-denied' }] },
  { n: 11, rule: 'list falls back to read', policy: { permissions: { user: { read: true } } }, checks: [{ who: 'U2', op: 'list', status: 200, rows: 'all' }] },
  { n: 12, rule: 'explicit list wins', policy: { permissions: { user: { read: true, list: false } } }, checks: [{ who: 'U2', op: 'list', status: 403, code: 'data/permission-denied' }] },
  { n: 13, rule: 'group true ignores self', policy: { permissions: { user: { update: true }, self: { update: true } } }, checks: [{ who: 'U2', op: 'update', target: 'r1', body: { title: 'by U2' }, status: 200 }] },
  {
    n: 14,
    rule: 'self on single row',
    policy: { permissions: { user: { update: false }, self: { update: true } } },
    checks: [
      { who: 'U1', op: 'update', target: 'r1', body: { title: 'mine' }, status: 200 },
      { who: 'U2', op: 'update', target: 'r1', body: { title: 'theirs' }, status: 403, code: 'data/permission-denied' },
    ],
  },
  { n: 15, rule: 'self list auto-filter', policy: { permissions: { user: { list: false }, self: { list: true } } }, checks: [{ who: 'U2', op: 'list', status: 200, rows: 'U2' }] },
  { n: 16, rule: 'self list via read fallback', policy: { permissions: { user: { read: false }, self: { read: true } } }, checks: [{ who: 'U2', op: 'list', status: 200, rows: 'U2' }] },
  {
    n: 17,
    rule: 'self never matches guests',
    policy: { permissions: { guest: { read: false }, self: { read: true } } },
    checks: [
      { who: 'G', op: 'read', target: 'r0', status: 403, code: 'data/permission-denied' },
      // A user whose role is guest keeps an id (D-14), yet "" is nobody's id.
      { who: 'R', op: 'read', target: 'r0', status: 403, code: 'data/permission-denied' },
    ],
  },
  { n: 18, rule: 'expression beats boolean', policy: { permissions: { user: { delete: true } }, expressionPermissions: { delete: 'self' } }, checks: [{ who: 'U2', op: 'delete', target: 'r1', status: 403, code: 'data/permission-denied' }] },
  {
    n: 19,
    rule: 'precedence & over |',
    policy: { permissions: { user: { read: true } }, expressionPermissions: { update: 'role:moderator | user & self' } },
    checks: [
      { who: 'M', op: 'update', target: 'r1', body: { title: 'M' }, status: 200 },
      { who: 'U1', op: 'update', target: 'r1', body: { title: 'U1' }, status: 200 },
      { who: 'U2', op: 'update', target: 'r1', body: { title: 'U2' }, status: 403, code: 'data/permission-denied' },
      { who: 'G', op: 'update', target: 'r1', body: { title: 'G' }, status: 403, code: 'data/permission-denied' },
    ],
  },
  { n: 20, rule: 'expression list → read fallback', policy: { expressionPermissions: { read: 'self' } }, checks: [{ who: 'U2', op: 'list', status: 200, rows: 'U2' }] },
  { n: 21, rule: 'guest atom matches users', policy: { expressionPermissions: { read: 'guest' } }, checks: [{ who: 'U2', op: 'read', target: 'r1', status: 200 }] },
  { n: 22, rule: 'public', policy: { expressionPermissions: { list: 'public' } }, checks: [{ who: 'G', op: 'list', status: 200, rows: 'all' }] },
  {
    n: 23,
    rule: 'role:*',
    policy: { expressionPermissions: { read: 'role:*' } },
    checks: [
      { who: 'M', op: 'read', target: 'r1', status: 200 },
      { who: 'U2', op: 'read', target: 'r1', status: 403, code: 'data/permission-denied' },
    ],
  },
  {
    n: 24,
    rule: 'admin atom; admin bypass',
    policy: { expressionPermissions: { read: 'admin' } },
    checks: [
      { who: 'A', op: 'read', target: 'r1', status: 200 },
      { who: 'U1', op: 'read', target: 'r1', status: 403, code: 'data/permission-denied' },
    ],
  },
  {
    n: 25,
    rule: 'expression create with self',
    policy: { expressionPermissions: { create: 'self' } },
    checks: [
      { who: 'U1', op: 'create', body: { title: 'new' }, status: 201, expect: (body, _s, kit) => expect(body.createdBy).toBe(kit.users.U1.id) },
      { who: 'G', op: 'create', body: { title: 'new' }, status: 403, code: 'data/permission-denied' },
    ],
  },
  {
    n: 26,
    rule: 'column read hidden silently',
    policy: { columnPermissions: { email: { read: 'admin' } } },
    checks: [
      { who: 'U1', op: 'read', target: 'r1', status: 200, expect: (body) => { expect(body).not.toHaveProperty('email'); expect(body.title).toBe('r1'); } },
      { who: 'A', op: 'read', target: 'r1', status: 200, expect: (body) => expect(body.email).toBe('u1@example.test') },
    ],
  },
  {
    n: 27,
    rule: 'column write rejects whole request',
    policy: { permissions: { user: { update: true, read: true } }, columnPermissions: { bio: { write: 'self' } } },
    checks: [
      {
        who: 'U2',
        op: 'update',
        target: 'r1',
        body: { bio: 'hacked', title: 'hacked' },
        status: 403,
        code: 'data/permission-denied',
        expect: async (_b, seed, kit) => {
          const row = await kit.as('A', 'GET', `/v1/data/${seed.table}/${seed.rows.r1.id}`);
          expect(row.body).toMatchObject({ bio: 'r1 bio', title: 'r1' }); // nothing written
        },
      },
      { who: 'U1', op: 'update', target: 'r1', body: { bio: 'new bio', title: 'new title' }, status: 200, expect: (body) => expect(body).toMatchObject({ bio: 'new bio', title: 'new title' }) },
    ],
  },
  { n: 28, rule: 'system fields always readable', policy: { columnPermissions: { createdBy: { read: 'admin' } } }, checks: [{ who: 'U2', op: 'read', target: 'r1', status: 200, expect: (body, seed) => expect(body.createdBy).toBe(seed.rows.r1.createdBy) }] },
  {
    n: 29,
    rule: 'row filters OR-combined, list only',
    policy: { permissions: { user: { list: true } }, rowFilters: [{ expression: 'user', filter: { status: 'published' } }, { expression: 'self', filter: { createdBy: '$userId' } }] },
    checks: [{ who: 'U2', op: 'list', status: 200, rows: (seed) => published(seed, seed.rows.r2.createdBy) }],
  },
  {
    n: 30,
    rule: 'row filters ignored on single read',
    policy: { permissions: { user: { list: true, read: true } }, rowFilters: [{ expression: 'user', filter: { status: 'published' } }, { expression: 'self', filter: { createdBy: '$userId' } }] },
    checks: [{ who: 'U2', op: 'read', target: 'r1', status: 200, expect: (body) => expect(body.status).toBe('draft') }],
  },
  {
    n: 31,
    rule: 'no matching row filter',
    policy: { permissions: { guest: { list: true } }, rowFilters: [{ expression: 'user', filter: { status: 'published' } }] },
    checks: [{ who: 'G', op: 'list', status: 200, rows: 'none', expect: (body) => expect(body.pagination.total).toBe(0) }],
  },
  {
    n: 32,
    rule: 'admin never filtered',
    policy: { permissions: { user: { list: true } }, columnPermissions: { email: { read: 'self' } }, rowFilters: [{ expression: 'user', filter: { status: 'published' } }, { expression: 'self', filter: { createdBy: '$userId' } }] },
    checks: [
      {
        who: 'A',
        op: 'list',
        status: 200,
        rows: 'all',
        expect: (body, seed) => expect(body.items.filter((r: any) => 'email' in r).map((r: any) => r.id).sort()).toEqual([seed.rows.r1.id, seed.rows.r2.id].sort()),
      },
    ],
  },
];

describe.each(dialects)('§6 worked examples 1–32 (%s)', (dialect) => {
  let kit: DataKit;
  beforeAll(async () => {
    kit = await createDataKit(dialect);
  });
  afterAll(async () => {
    await kit.close();
  });

  async function seed(example: Example): Promise<Seed> {
    const table = tableName(example.system ? '_audit' : 'posts');
    await kit.table({ tableName: table, schema: { title: { type: 'string' }, status: { type: 'string' }, email: { type: 'string' }, bio: { type: 'string' } }, ...example.policy });
    const { U1, U2, M } = kit.users;
    const rows = {
      r1: await kit.row(table, U1.id, { title: 'r1', status: 'draft', email: 'u1@example.test', bio: 'r1 bio' }),
      r2: await kit.row(table, U2.id, { title: 'r2', status: 'draft', email: 'u2@example.test' }),
      rm: await kit.row(table, M.id, { title: 'rm', status: 'published' }),
      r0: await kit.row(table, '', { title: 'r0', status: 'published' }),
    };
    return { table, rows, all: Object.values(rows).map((r) => r.id).sort() };
  }

  for (const example of EXAMPLES) {
    it(`#${example.n} ${example.rule}`, async () => {
      const s = await seed(example);
      const scopedKey = example.scopes ? await kit.key(example.scopes.type, example.scopes.scopes(s.table)) : undefined;
      for (const check of example.checks) {
        const base = `/v1/data/${s.table}`;
        const id = check.target === 'x' ? s.rows.r1.id : check.target ? s.rows[check.target].id : undefined;
        const [method, url] = {
          list: ['GET', base],
          read: ['GET', `${base}/${id}`],
          create: ['POST', base],
          update: ['PATCH', `${base}/${id}`],
          delete: ['DELETE', `${base}/${id}`],
        }[check.op];
        const res = await kit.as(check.who, method, url, { body: check.body, key: check.key === 'scoped' ? scopedKey : undefined });
        expect({ who: check.who, op: check.op, status: res.status, code: res.body?.code }).toEqual({ who: check.who, op: check.op, status: check.status, code: check.code });
        if (check.rows) {
          const expected =
            check.rows === 'all' ? s.all : check.rows === 'none' ? [] : typeof check.rows === 'function' ? check.rows(s) : Object.values(s.rows).filter((r) => r.createdBy === kit.users[check.rows as 'U2'].id).map((r) => r.id).sort();
          expect(ids(res)).toEqual(expected);
          expect(res.body.pagination.total).toBe(expected.length);
        }
        await check.expect?.(res.body, s, kit);
      }
    });
  }
});

describe.each(dialects)('§6 worked examples 33–35 (%s)', (dialect) => {
  let kit: DataKit;
  let table: string;
  beforeAll(async () => {
    kit = await createDataKit(dialect);
    table = tableName('posts');
    await kit.table({ tableName: table });
    await kit.row(table, kit.users.U1.id, { title: 'r1' });
  });
  afterAll(async () => {
    await kit.close();
  });

  it('#34 revoked key: 401 auth/invalid-token', async () => {
    const key = await kit.key('publishable');
    expect((await kit.t.request('GET', `/v1/data/${table}`, { key })).status).toBe(200);
    await revokeKey(kit.t.ctx, key.slice(0, 11));
    const res = await kit.t.request('GET', `/v1/data/${table}`, { key });
    expect([res.status, res.body.code]).toEqual([401, 'auth/invalid-token']);
    expect(res.body.message).toMatch(/revoked/);
  });

  it('#35 a JWT of another Latch (another project): 401 auth/invalid-token, never guest access', async () => {
    const other = await createTestApp(dialect);
    try {
      const stranger = await signUp(other);
      const res = await kit.t.request('GET', `/v1/data/${table}`, { token: stranger.accessToken });
      expect([res.status, res.body.code]).toEqual([401, 'auth/invalid-token']);
    } finally {
      await other.close();
    }
  });

  it('#33 expired JWT with the publishable key: 401 auth/token-expired, never guest access', async () => {
    const token = kit.users.U2.token;
    expect((await kit.t.request('GET', `/v1/data/${table}`, { token })).status).toBe(200);
    kit.t.clock.advanceSeconds(3601);
    const res = await kit.t.request('GET', `/v1/data/${table}`, { token });
    expect([res.status, res.body.code]).toEqual([401, 'auth/token-expired']);
    // Without the token the same request is a guest list: the 401 was not a downgrade.
    expect((await kit.t.request('GET', `/v1/data/${table}`)).status).toBe(200);
  });
});
