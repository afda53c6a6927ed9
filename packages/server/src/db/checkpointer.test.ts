import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLiteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase } from './connect.js';

const dir = mkdtempSync(join(tmpdir(), 'latch-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeRows(handle: ReturnType<typeof connectDatabase>, count: number) {
  await sql`create table if not exists t (id integer primary key, body text)`.execute(handle.db);
  for (let i = 0; i < count; i++) {
    await handle.db.transaction().execute((trx) => sql`insert into t (body) values (${'x'.repeat(500)})`.execute(trx));
  }
}

describe('background WAL checkpoints (SQLite files, serving)', () => {
  it('move off the serving connection: a worker backfills every committed frame', async () => {
    const path = join(dir, 'served.db');
    const handle = connectDatabase(`file:${path}`, { backgroundCheckpoint: true });
    try {
      const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(handle.db);
      expect(rows[0].wal_autocheckpoint).toBe(10_000);
      await writeRows(handle, 300);
      const [busy, log, checkpointed] = await handle.checkpointer!.next();
      expect(busy).toBe(0);
      expect(log).toBeGreaterThan(0);
      expect(checkpointed).toBe(log);
    } finally {
      await handle.close();
    }
    // Everything is in the database file itself once the worker and the connection are closed.
    const reopened = new SQLiteDatabase(path, { readonly: true });
    expect(reopened.prepare('select count(*) as n from t').get()).toEqual({ n: 300 });
    reopened.close();
    expect(statSync(path).size).toBeGreaterThan(300 * 500);
  });

  it('are left to SQLite for other connections (CLI, tests) and in-memory databases', async () => {
    for (const url of [`file:${join(dir, 'cli.db')}`, 'file::memory:']) {
      const handle = connectDatabase(url, { backgroundCheckpoint: url.endsWith(':memory:') });
      try {
        expect(handle.checkpointer).toBeUndefined();
        const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(handle.db);
        expect(rows[0].wal_autocheckpoint).toBe(1000);
      } finally {
        await handle.close();
      }
    }
  });
});
