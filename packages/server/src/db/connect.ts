import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLiteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { registerDataSqlFunctions } from '../data/sqlite-functions.js';
import { POSTGRES, SQLITE, type DialectFlags } from './dialect.js';
import type { Database } from './types.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { nameHotStatements } from './hot-query.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectFlags;
  /**
   * A pg pool of its own for stores that speak to PostgreSQL themselves (rate limits): never one whose
   * connections Kysely's transactions hold, so a store call cannot wait forever behind them.
   */
  pgPool?: pg.Pool;
  /** A file-backed SQLite database opened for serving: its WAL checkpoints run on a worker thread. */
  checkpointer?: Checkpointer;
  /** A SQLite file: whether another connection (a CLI command, another process) committed since last asked. */
  foreignWrites?: () => boolean;
  close(): Promise<void>;
}

export interface ConnectOptions {
  poolSize?: number;
  /** PostgreSQL: how long a query waits for a connection (a free one of the pool, or a new one). */
  connectTimeoutMs?: number;
  /** SQLite files only: checkpoint the WAL from a worker thread instead of inside commits (the server). */
  backgroundCheckpoint?: boolean;
  onCheckpointError?: (message: string) => void;
}

// The serving connection still checkpoints by itself past this many WAL pages (~40 MiB), in case the
// worker cannot keep up or is gone.
const SAFETY_NET_WAL_PAGES = 10_000;

/**
 * A PostgreSQL that does not answer (its host down, a route dropping packets) must fail requests, not hold
 * them: with pg's default (no limit) every request queued behind the pool until the operating system gave
 * up on the TCP handshake, minutes later. Past this a request answers 500 `common/internal-error` and
 * /health says `degraded`. Ten seconds also bounds the wait for a free connection under overload.
 */
const CONNECT_TIMEOUT_MS = 10_000;

// Rate-limit counters: one short statement each, so a few connections serve thousands per second.
const STORE_POOL_SIZE = 4;

// BIGINT (int8) columns hold epoch milliseconds, well inside Number's safe range.
const pgTypes = {
  getTypeParser(oid: number, format?: unknown) {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export function connectDatabase(url: string, options: ConnectOptions = {}): DatabaseHandle {
  if (url.startsWith('file:')) return connectSqlite(url.slice('file:'.length), options);
  const timeouts = { connectionTimeoutMillis: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, keepAlive: true };
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types: pgTypes as never, ...timeouts });
  // An idle client error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  pool.on('connect', (client) => nameHotStatements(client as never));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Connections open on first use: a deployment whose limits live in Redis or memory never opens one.
  const storePool = new pg.Pool({ connectionString: url, max: STORE_POOL_SIZE, types: pgTypes as never, ...timeouts });
  storePool.on('error', () => {});
  return {
    db,
    dialect: POSTGRES,
    pgPool: storePool,
    close: async () => {
      await db.destroy();
      await storePool.end();
    },
  };
}

function connectSqlite(path: string, options: ConnectOptions): DatabaseHandle {
  const memory = path === ':memory:' || path === '';
  // Password hashes, emails, the audit log and (in development) mailed links live here: a folder and a
  // file Latch creates are its user's only (SQLite gives the -wal and -shm files the database's mode).
  // Existing ones keep the permissions their operator chose.
  const created = !memory && !existsSync(path);
  if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true, mode: 0o700 });
  const sqlite = new SQLiteDatabase(memory ? ':memory:' : path);
  if (created) chmodSync(path, 0o600);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Several processes (CLI + server) may open the same file: wait for the lock instead of failing.
  sqlite.pragma('busy_timeout = 5000');
  registerDataSqlFunctions(sqlite);
  cachePreparedStatements(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const foreignWrites = memory ? undefined : foreignWriteProbe(sqlite);
  if (memory || !options.backgroundCheckpoint) return { db, dialect: SQLITE, foreignWrites, close: () => db.destroy() };
  sqlite.pragma(`wal_autocheckpoint = ${SAFETY_NET_WAL_PAGES}`);
  const checkpointer = startCheckpointer(resolve(path), { onError: options.onCheckpointError });
  return {
    db,
    dialect: SQLITE,
    checkpointer,
    foreignWrites,
    close: async () => {
      await checkpointer.stop();
      await db.destroy();
    },
  };
}

// Reading data_version takes a read lock (~6 µs on this VM): asked at most this often, not per request.
const FOREIGN_WRITE_CHECK_MS = 50;

/**
 * `PRAGMA data_version` changes when another connection commits (never for this connection's own
 * writes, nor for the checkpointer's PASSIVE checkpoints). Answers true at most once per change, and
 * looks at most every FOREIGN_WRITE_CHECK_MS (real time), so another process's commit is seen within
 * that delay.
 */
function foreignWriteProbe(sqlite: SQLiteDatabase.Database): () => boolean {
  const version = sqlite.prepare('PRAGMA data_version').pluck();
  let seen = version.get();
  let nextLook = 0;
  return () => {
    const now = performance.now();
    if (now < nextLook) return false;
    nextLook = now + FOREIGN_WRITE_CHECK_MS;
    const current = version.get();
    if (current === seen) return false;
    seen = current;
    return true;
  };
}

const STATEMENT_CACHE_SIZE = 512;

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running the small indexed
 * queries of the hot path. Statements are reusable, so keep the most recent ones by SQL text. A schema
 * change (DDL) makes better-sqlite3 re-prepare transparently, and the cache is dropped on DDL anyway.
 */
function cachePreparedStatements(sqlite: SQLiteDatabase.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, SQLiteDatabase.Statement>();
  sqlite.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (statement) return statement;
    statement = prepare(source);
    if (/^\s*(create|drop|alter)\b/i.test(source)) {
      cache.clear();
      return statement;
    }
    if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(source, statement);
    return statement;
  }) as typeof sqlite.prepare;
}
