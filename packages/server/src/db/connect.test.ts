import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/helpers/databases.js';
import { connectDatabase } from './connect.js';
import { migrateToLatest } from './migrate.js';

describe('SQLite (the embedded default)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latch-connect-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates ./.latch/ (relative paths included) and runs in WAL mode with foreign keys', async () => {
    const file = join(dir, 'project', '.latch', 'latch.db');
    const handle = connectDatabase(`file:${relative(process.cwd(), file)}`);
    try {
      expect(handle.dialect.name).toBe('sqlite');
      expect(handle.pgPool).toBeUndefined();
      const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(handle.db);
      expect(journal.rows[0].journal_mode).toBe('wal');
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(handle.db);
      expect(fk.rows[0].foreign_keys).toBe(1);
      expect(existsSync(file)).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('lets a second connection (the CLI next to the server) use the same file', async () => {
    const file = join(dir, 'shared.db');
    const server = connectDatabase(`file:${file}`);
    const cli = connectDatabase(`file:${file}`);
    try {
      await migrateToLatest(server.db);
      expect(await migrateToLatest(cli.db)).toEqual([]);
      await cli.db.insertInto('settings').values({ key: 'k', value: 'v', updated_at: 1 }).execute();
      expect((await server.db.selectFrom('settings').selectAll().execute()).map((r) => r.key)).toEqual(['k']);
    } finally {
      await cli.close();
      await server.close();
    }
  });
});

describe.each(dialects)('connectDatabase(%s)', (dialect) => {
  it('reads epoch-millisecond BIGINT columns back as numbers and enforces foreign keys', async () => {
    const database = await createTestDatabase(dialect);
    const handle = connectDatabase(database.url);
    try {
      expect(handle.dialect.name).toBe(dialect);
      expect(handle.dialect.rowLocks).toBe(dialect === 'postgres');
      await migrateToLatest(handle.db);
      const at = Date.UTC(2030, 0, 1);
      await handle.db.insertInto('settings').values({ key: 'when', value: 'x', updated_at: at }).execute();
      const row = await handle.db.selectFrom('settings').select('updated_at').where('key', '=', 'when').executeTakeFirstOrThrow();
      expect(row.updated_at).toBe(at);
      expect(typeof row.updated_at).toBe('number');
      await expect(
        handle.db.insertInto('sessions').values({ id: 's', user_id: 'no-such-user', refresh_token_hash: 'h', created_at: 1, last_activity_at: 1, expires_at: 2 } as never).execute(),
      ).rejects.toThrow();
    } finally {
      await handle.close();
      await database.drop();
    }
  });
});

describe('PostgreSQL that does not answer', () => {
  it('fails a query after the connect timeout instead of holding it until the OS gives up', async () => {
    // Accepts the TCP connection and never speaks: a host behind a dead route looks like this to pg.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const { port } = silent.address() as { port: number };
    const handle = connectDatabase(`postgres://latch@127.0.0.1:${port}/latch`, { connectTimeoutMs: 300 });
    try {
      const started = Date.now();
      await expect(sql`select 1`.execute(handle.db)).rejects.toThrow(/timeout/i);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await handle.close().catch(() => {});
      await new Promise((done) => silent.close(done));
    }
  });
});
