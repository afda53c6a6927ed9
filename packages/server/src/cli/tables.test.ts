import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { TEST_SK } from '../../test/helpers/test-app.js';
import { cliWorld, runCli } from '../../test/setup/cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'latch-tables-'));
let files = 0;
function file(content: unknown): string {
  const path = join(dir, `tables-${files++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

const posts = {
  tableName: 'posts',
  displayName: 'Posts',
  schema: { bsonType: 'object', required: ['title'], properties: { title: { bsonType: 'string' }, status: { bsonType: 'string', enum: ['draft', 'published'] } } },
  indexes: [{ name: 'by_status', fields: { status: 1, createdAt: -1 } }],
  permissions: { user: { create: true, read: true }, guest: { read: true }, self: { update: true, delete: true } },
  rowFilters: [{ expression: 'guest', filter: { status: 'published' } }, { expression: 'self', filter: { createdBy: '$userId' } }],
};
const comments = { tableName: 'comments', schema: { body: { type: 'string' }, postId: { type: 'reference', reference: 'posts' } } };

describe.each(dialects)('latch tables apply (%s)', (dialect) => {
  const world = cliWorld(dialect);
  const tables = async () => (await world.t.request('GET', '/v1/admin/tables', { key: TEST_SK })).body.items as any[];

  it('creates the tables of a file; a second run reports 0 changes and changes nothing', async () => {
    const path = file({ tables: [posts, comments] });
    const first = await runCli(['tables', 'apply', path], world.db.env);
    expect(first.code).toBe(0);
    expect(first.out).toEqual(['create table posts', 'create table comments', '2 change(s) applied']);
    const before = await tables();
    expect(before.map((x) => x.tableName).sort()).toEqual(['comments', 'posts']);
    expect(before.find((x) => x.tableName === 'posts')).toMatchObject({ displayName: 'Posts', indexes: [{ name: 'by_status', fields: { status: 1, createdAt: -1 }, unique: false, sparse: false }], rowFilters: posts.rowFilters });

    world.t.clock.advanceSeconds(10);
    const second = await runCli(['tables', 'apply', path], world.db.env);
    expect([second.code, second.out]).toEqual([0, ['0 change(s)']]);
    expect(await tables()).toEqual(before);
  });

  it('applies the difference: new and changed fields, indexes and policies; --dry-run only reports', async () => {
    const changed = {
      tables: [
        { ...posts, schema: { ...posts.schema, properties: { ...posts.schema.properties, views: { bsonType: 'int' } } }, indexes: [{ name: 'by_status', fields: { status: 1 } }], permissions: { user: { read: true } } },
        comments,
      ],
    };
    const path = file(changed);
    const dry = await runCli(['tables', 'apply', path, '--dry-run'], world.db.env);
    expect(dry.code).toBe(0);
    expect(dry.out).toEqual(['posts: add field views', 'posts: change index by_status', 'posts: set permissions', '3 change(s) (dry run, nothing applied)']);
    expect((await tables()).find((x) => x.tableName === 'posts').schemaVersion).toBe(1);

    const run = await runCli(['tables', 'apply', path], world.db.env);
    expect(run.out.at(-1)).toBe('3 change(s) applied');
    const table = (await tables()).find((x) => x.tableName === 'posts');
    expect(table).toMatchObject({ schemaVersion: 2, indexVersion: 2, permissions: { user: { read: true } } });
    expect(Object.keys(table.schema.properties)).toEqual(['title', 'status', 'views']);
    expect((await runCli(['tables', 'apply', path], world.db.env)).out).toEqual(['0 change(s)']);
  });

  it('drops nothing without --prune; with --prune removes tables, fields and indexes the file lacks (field values are kept)', async () => {
    const row = await world.t.request('POST', '/v1/data/posts', { key: TEST_SK, body: { title: 'kept', status: 'draft', views: 3 } });
    const slim = file({ tables: [{ tableName: 'posts', schema: { bsonType: 'object', required: ['title'], properties: { title: { bsonType: 'string' } } } }] });
    const kept = await runCli(['tables', 'apply', slim], world.db.env);
    expect(kept.out).toEqual(['posts: set displayName', 'posts: set permissions', 'posts: set rowFilters', '3 change(s) applied']);
    expect((await tables()).map((x) => x.tableName).sort()).toEqual(['comments', 'posts']);
    expect(Object.keys((await tables()).find((x) => x.tableName === 'posts').schema.properties)).toEqual(['title', 'status', 'views']);

    const pruned = await runCli(['tables', 'apply', slim, '--prune'], world.db.env);
    expect(pruned.code).toBe(0);
    expect(pruned.out).toEqual(['posts: remove field status', 'posts: remove field views', 'posts: remove index by_status', 'delete table comments', '4 change(s) applied']);
    const after = await tables();
    expect(after.map((x) => x.tableName)).toEqual(['posts']);
    expect(after[0].schema.properties).toEqual({ title: { bsonType: 'string' } });
    const read = await world.t.request('GET', `/v1/data/posts/${row.body.id}`, { key: TEST_SK });
    expect(read.body).toMatchObject({ title: 'kept', status: 'draft', views: 3 });
    expect((await runCli(['tables', 'apply', slim, '--prune'], world.db.env)).out).toEqual(['0 change(s)']);
  });

  it.each([
    ['not JSON', '{ "tables": ['],
    ['no tables array', { tables: {} }],
    ['an invalid table name', { tables: [{ tableName: '9lives' }] }],
    ['a name twice', { tables: [{ tableName: 'twice' }, { tableName: 'twice' }] }],
    ['a bad expression', { tables: [{ tableName: 'fine' }, { tableName: 'broken', expressionPermissions: { read: 'user |' } }] }],
    ['an index on an unknown field', { tables: [{ tableName: 'fine', indexes: [{ name: 'i', fields: { ghost: 1 } }] }] }],
    ['a missing file', null],
  ])('exits 1 and changes nothing for %s', async (_label, content) => {
    const before = await tables();
    const run = await runCli(['tables', 'apply', content === null ? join(dir, 'missing.json') : file(content), '--prune'], world.db.env);
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toMatch(/^latch: tables apply/);
    expect(await tables()).toEqual(before);
  });

  it('lists tables', async () => {
    const run = await runCli(['tables', 'list'], world.db.env);
    expect(run.code).toBe(0);
    expect(run.out[0]).toBe('name\tid\trows\tfields\tindexes\tschema v\tindex v');
    expect(run.out[1]).toMatch(/^posts\t[0-9a-f]{16}\t1\t1\t0\t\d+\t\d+$/);
  });
});
