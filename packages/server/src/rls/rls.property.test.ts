import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataKit, tableName, type DataKit, type Requester } from '../../test/helpers/data-tables.js';
import { dialects } from '../../test/helpers/databases.js';
import { referenceList, referenceRead, type Policy, type Query, type Who } from '../../test/helpers/rls-reference.js';
import { TEST_SK } from '../../test/helpers/test-app.js';

/**
 * Random tables, rows, policies, requesters and queries: what the API returns must equal what the
 * independent reference evaluator of the contract allows — the same rows, in the same order, with the
 * same fields and the same `total` — on SQLite and on PostgreSQL.
 */
const EXPRESSIONS = ['public', 'guest', 'user', 'admin', 'self', 'user & self', 'role:moderator', 'role:*', 'role:moderator | user & self', 'guest & self', '(admin | self) & user', 'admin | self'];
const OWNERS = ['U1', 'U2', 'M', 'R', ''] as const;
const WHO: Requester[] = ['G', 'U1', 'U2', 'M', 'R', 'A', 'ADM'];
const STRINGS = ['', 'a', 'ab', 'B', 'ba', 'é', 'b'];
const NUMBERS = [-1, 0, 1, 2.5, 3];

const scalar = fc.oneof(fc.constantFrom(...STRINGS), fc.constantFrom(...NUMBERS), fc.boolean());
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
/** Present one time in `1 + absent`: filters, search and row filters narrow results, so most cases go without. */
const sometimes = <T>(arb: fc.Arbitrary<T>, absent = 2) => fc.oneof({ arbitrary: fc.constant(undefined), weight: absent }, { arbitrary: arb, weight: 1 });

const row = fc.record({
  owner: fc.constantFrom(...OWNERS),
  s: maybe(fc.constantFrom(...STRINGS)),
  n: maybe(fc.constantFrom(...NUMBERS)),
  b: maybe(fc.boolean()),
  tags: maybe(fc.subarray(['a', 'b', 'c'])),
  u: maybe(fc.oneof(scalar, fc.constant(['a']), fc.constant({ x: 'a' }), fc.constant({ x: 1 }))),
});

const FIELDS = ['s', 'n', 'b', 'tags', 'u', 'u.x', 'createdBy'];
const condition = fc.oneof(
  scalar,
  fc.constant(null),
  fc.record({ $eq: fc.oneof(scalar, fc.constant(null)) }),
  fc.record({ $ne: fc.oneof(scalar, fc.constant(null)) }),
  fc.record({ $gt: fc.oneof(fc.constantFrom(...STRINGS), fc.constantFrom(...NUMBERS)) }),
  fc.record({ $gte: fc.oneof(fc.constantFrom(...STRINGS), fc.constantFrom(...NUMBERS)), $lt: fc.oneof(fc.constantFrom(...STRINGS), fc.constantFrom(...NUMBERS)) }),
  fc.record({ $lte: fc.constantFrom(...NUMBERS) }),
  fc.record({ $in: fc.array(fc.oneof(scalar, fc.constant(null)), { maxLength: 3 }) }),
  fc.record({ $nin: fc.array(scalar, { maxLength: 3 }) }),
  fc.record({ $exists: fc.boolean() }),
  fc.record({ $regex: fc.constantFrom('^a', 'b$', 'a.', '[bB]', 'é', '^$', '(?i)^b') }),
);
const filterObject = fc.dictionary(fc.constantFrom(...FIELDS), condition, { minKeys: 1, maxKeys: 2 });

const policy: fc.Arbitrary<Policy> = fc.record(
  {
    permissions: fc.option(
      fc.dictionary(fc.constantFrom('user', 'guest', 'self'), fc.dictionary(fc.constantFrom('read', 'list', 'create'), fc.boolean(), { maxKeys: 3 }), { maxKeys: 3 }),
      { nil: null, freq: 2 },
    ),
    expressionPermissions: fc.option(fc.dictionary(fc.constantFrom('read', 'list'), fc.constantFrom(...EXPRESSIONS), { maxKeys: 2 }), { nil: null, freq: 2 }),
    columnPermissions: fc.option(fc.dictionary(fc.constantFrom('s', 'n', 'u'), fc.record({ read: fc.constantFrom(...EXPRESSIONS) }), { maxKeys: 2 }), { nil: null, freq: 2 }),
    rowFilters: fc.option(
      fc.array(fc.record({ expression: fc.constantFrom(...EXPRESSIONS), filter: fc.oneof(filterObject, fc.constant({ createdBy: '$userId' }), fc.constant({})) }), { minLength: 1, maxLength: 2 }),
      { nil: null, freq: 2 },
    ),
  },
  { requiredKeys: [] },
);

const query = fc.record({
  andFilters: sometimes(filterObject),
  orFilters: sometimes(filterObject, 4),
  sortBy: maybe(fc.constantFrom('s', 'n', 'b', 'u', 'tags', 'createdBy', 'id', 'nothing')),
  sortDirection: maybe(fc.constantFrom('asc' as const, 'desc' as const)),
  search: sometimes(fc.constantFrom('a', 'B', 'é', 'ab'), 4),
  searchType: maybe(fc.constantFrom('s', 'u', 'n')),
  page: fc.oneof({ arbitrary: fc.constant(1), weight: 3 }, { arbitrary: fc.integer({ min: 2, max: 3 }), weight: 1 }),
  limit: fc.integer({ min: 2, max: 10 }),
});

const scenario = fc.record({ policy, rows: fc.array(row, { minLength: 3, maxLength: 14 }), who: fc.constantFrom(...WHO), query, readIndex: fc.nat() });

describe.each(dialects)('RLS and filters match the reference evaluator (%s)', (dialect) => {
  let kit: DataKit;
  let who: Record<Requester, Who>;
  beforeAll(async () => {
    kit = await createDataKit(dialect);
    const { U1, U2, M, R, ADM } = kit.users;
    who = {
      G: { group: 'guest', id: null, role: null },
      U1: { group: 'user', id: U1.id, role: 'user' },
      U2: { group: 'user', id: U2.id, role: 'user' },
      M: { group: 'user', id: M.id, role: 'moderator' },
      R: { group: 'guest', id: R.id, role: 'guest' },
      A: { group: 'admin', id: null, role: null },
      ADM: { group: 'admin', id: ADM.id, role: 'admin' },
    };
  });
  afterAll(async () => {
    await kit.close();
  });

  it('list and read', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (c) => {
        const table = tableName('prop');
        await kit.table({ tableName: table, schema: { s: { type: 'string' }, n: { type: 'number' }, b: { type: 'boolean' }, tags: { type: 'array', items: { type: 'string' } } }, ...c.policy });
        try {
          let stored: Array<Record<string, unknown>> = [];
          if (c.rows.length > 0) {
            const body = c.rows.map(({ owner, ...fields }) => ({
              ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
              createdBy: owner === '' ? '' : kit.users[owner].id,
            }));
            const created = await kit.t.request('POST', `/v1/data/${table}`, { key: TEST_SK, body });
            expect(created.status).toBe(201);
            stored = created.body;
          }
          const q: Query = {
            andFilters: c.query.andFilters,
            orFilters: c.query.orFilters,
            sortBy: c.query.sortBy,
            sortDirection: c.query.sortDirection,
            search: c.query.search,
            searchType: c.query.search ? c.query.searchType : undefined,
            page: c.query.page,
            limit: c.query.limit,
          };
          const params = new URLSearchParams({ page: String(q.page), limit: String(q.limit) });
          if (q.andFilters) params.set('andFilters', JSON.stringify(q.andFilters));
          if (q.orFilters) params.set('orFilters', JSON.stringify(q.orFilters));
          if (q.sortBy) params.set('sortBy', q.sortBy);
          if (q.sortDirection) params.set('sortDirection', q.sortDirection);
          if (q.search) params.set('search', q.search);
          if (q.searchType) params.set('searchType', q.searchType);

          const expected = referenceList(c.policy, ['s'], stored, who[c.who], { ...q, sortDirection: q.sortDirection ?? 'desc' });
          const res = await kit.as(c.who, 'GET', `/v1/data/${table}?${params}`);
          if (expected.status === 200) {
            const ok = expected as Extract<typeof expected, { status: 200 }>;
            expect({ status: res.status, items: res.body.items, total: res.body.pagination?.total }).toEqual({ status: 200, items: ok.items, total: ok.total });
          } else {
            expect({ status: res.status, code: res.body.code }).toEqual(expected);
          }

          if (stored.length > 0) {
            const target = stored[c.readIndex % stored.length];
            const expectedRead = referenceRead(c.policy, target, who[c.who]);
            const read = await kit.as(c.who, 'GET', `/v1/data/${table}/${target.id}`);
            if (expectedRead.status === 200) expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: (expectedRead as { items: unknown[] }).items[0] });
            else expect({ status: read.status, code: read.body.code }).toEqual(expectedRead);
          }
        } finally {
          await kit.t.request('DELETE', `/v1/admin/tables/${table}`, { key: TEST_SK });
        }
      }),
      { numRuns: Number(process.env.LATCH_PROPERTY_RUNS ?? 100) },
    );
  }, 300_000);
});

describe.each(dialects)('$regex (?i) folds ASCII letters only, the same on SQLite and PostgreSQL (%s)', (dialect) => {
  let kit: DataKit;
  let table: string;
  const VALUES = ['Élan', 'élan', 'ÉLAN', 'ABC', 'abc', '\u212a', 'k', '\u017f', 's'];
  beforeAll(async () => {
    kit = await createDataKit(dialect);
    table = tableName('caseless');
    await kit.table({ tableName: table, schema: { s: { type: 'string' } } });
    // The same value in a declared text column and in an undeclared (JSON) field.
    for (const value of VALUES) await kit.row(table, '', { s: value, u: value });
  });
  afterAll(async () => {
    await kit.close();
  });

  it.each([
    ['(?i)^élan$', ['élan']],
    ['(?i)^ÉLAN$', ['ÉLAN', 'Élan']],
    ['(?i)^abc$', ['ABC', 'abc']],
    ['(?i)^[a-c]+$', ['ABC', 'abc']],
    ['(?i)^k$', ['k']],
    ['(?i)^[^k]$', ['\u212a', '\u017f', 's']],
    ['(?i)^s$', ['s']],
    ['(?i)^[[:upper:]]$', ['k', 's']],
  ])('%s matches exactly %j', async (pattern, expected) => {
    for (const field of ['s', 'u']) {
      const res = await kit.as('A', 'GET', `/v1/data/${table}?limit=100&andFilters=${encodeURIComponent(JSON.stringify({ [field]: { $regex: pattern } }))}`);
      expect(res.status).toBe(200);
      expect([field, res.body.items.map((r: any) => r[field]).sort()]).toEqual([field, [...expected].sort()]);
    }
  });
});
