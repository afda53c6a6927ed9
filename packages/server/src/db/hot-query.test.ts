import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase, postgresOnly } from '../../test/helpers/databases.js';
import { connectDatabase, type DatabaseHandle } from './connect.js';
import { HotBatch, HotInsert, HotQuery } from './hot-query.js';
import { migrateToLatest } from './migrate.js';

const settingInsert = new HotInsert<{ key: string; value: string; updated_at: number }>('settings', ['key', 'value', 'updated_at']);
const setting = settingInsert.sql;
const valueOf = new HotQuery<{ value: string }>('select value from settings where key = ?');

describe('HotInsert', () => {
  it('writes every column with a placeholder and gives a row\'s values in the same order', () => {
    expect(settingInsert.sql).toBe('insert into settings (key, value, updated_at) values (?, ?, ?)');
    expect(settingInsert.values({ updated_at: 7, value: 'v', key: 'k' })).toEqual(['k', 'v', 7]);
  });
});

describe.each(dialects)('HotBatch (%s)', (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    handle = connectDatabase(database.url);
    await migrateToLatest(handle.db);
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });
  const read = async (key: string) => (await valueOf.first(handle.db, handle.dialect, [key]))?.value;

  it('runs every statement with its own parameters', async () => {
    await new HotBatch([setting, setting, 'update settings set value = ? where key = ?']).run(handle.db, handle.dialect, [
      ['a', '1', 1],
      ['b', '2', 2],
      ['c', 'zzz'],
    ]);
    expect([await read('a'), await read('b')]).toEqual(['1', '2']);
  });

  it('writes nothing when a later statement fails', async () => {
    const batch = new HotBatch([setting, 'update settings set value = ? where key = ?', setting]);
    // The third insert repeats the primary key of the first statement's row that exists already.
    await expect(batch.run(handle.db, handle.dialect, [['fresh', 'x', 1], ['changed', 'a'], ['a', 'dup', 1]])).rejects.toThrow();
    expect(await read('fresh')).toBeUndefined();
    expect(await read('a')).toBe('1');
    // The connection is usable afterwards (no transaction left open on SQLite's single connection).
    await new HotBatch([setting]).run(handle.db, handle.dialect, [['after', 'ok', 1]]);
    expect(await read('after')).toBe('ok');
  });

  it('does not run inside another request\'s open transaction', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const other = handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('settings').values({ key: 'other', value: 'v', updated_at: 1 }).execute();
      await held;
      throw new Error('rolled back');
    });
    const batch = new HotBatch([setting]).run(handle.db, handle.dialect, [['mine', 'v', 1]]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await expect(other).rejects.toThrow('rolled back');
    await batch;
    // The other transaction's rollback did not take the batch's row with it.
    expect([await read('other'), await read('mine')]).toEqual([undefined, 'v']);
  });

  it('refuses a parameter list per statement that does not match', async () => {
    await expect(new HotBatch([setting]).run(handle.db, handle.dialect, [])).rejects.toThrow('1 statements, 0 parameter lists');
  });
});

describe.each(postgresOnly())('hot statements on PostgreSQL (%s)', () => {
  it('are prepared once per connection under a name; other queries are not', async () => {
    const database = await createTestDatabase('postgres');
    // One connection, so the statement catalogue read below is that of the connection that ran them.
    const handle = connectDatabase(database.url, { poolSize: 1 });
    try {
      await migrateToLatest(handle.db);
      const batch = new HotBatch([setting]);
      await batch.run(handle.db, handle.dialect, [['p1', 'v', 1]]);
      await batch.run(handle.db, handle.dialect, [['p2', 'v', 1]]);
      expect(await valueOf.first(handle.db, handle.dialect, ['p2'])).toEqual({ value: 'v' });
      const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(handle.db);
      const statements = rows.map((row) => row.statement);
      expect(statements).toContain('insert into settings (key, value, updated_at) values ($1, $2, $3)');
      expect(statements).toContain('select value from settings where key = $1');
      expect(rows.every((row) => row.name.startsWith('latch_hot_'))).toBe(true);
      expect(statements.some((text) => text.includes('pg_prepared_statements'))).toBe(false);
    } finally {
      await handle.close();
      await database.drop();
    }
  });
});
