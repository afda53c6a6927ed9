import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createTestDatabase, type DialectName, type TestDatabase } from '../helpers/databases.js';
import { ManualClock } from '../helpers/clock.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

export interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

/** `main(argv, io, env)` in-process, with both streams captured line by line. */
export async function runCli(argv: string[], env: Record<string, string>): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) }, env);
  return { code, out, err };
}

/**
 * A database of its own for CLI tests: a SQLite file in a temp directory (the CLI and the app open it in
 * turn, as an operator's shell and server would) or a fresh PostgreSQL database; dropped afterwards.
 */
export async function cliDatabase(dialect: DialectName): Promise<TestDatabase & { env: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'latch-cli-'));
  const removeDir = async () => rmSync(dir, { recursive: true, force: true });
  let database: TestDatabase;
  if (dialect === 'sqlite') {
    database = { url: `file:${join(dir, 'latch.db')}`, drop: removeDir };
  } else {
    const pg = await createTestDatabase('postgres');
    database = { url: pg.url, drop: async () => (await pg.drop(), await removeDir()) };
  }
  const env = {
    LATCH_DATABASE_URL: database.url,
    LATCH_DATA_DIR: dir,
    LATCH_SECRET: 'cli-test-secret-0123456789abcdef0123456789',
    LATCH_PASSWORD_HASH: 'argon2id:m=64,t=1,p=1',
    LATCH_LOG_LEVEL: 'silent',
  };
  return { ...database, env };
}

export type CliDatabase = Awaited<ReturnType<typeof cliDatabase>>;

/**
 * For a describe block: a migrated CLI database (`world.db`, its `env` for `runCli`) and an app on the
 * same database (`world.t`) to watch what the commands did; made before the block, dropped after it.
 */
export function cliWorld(dialect: DialectName): { readonly db: CliDatabase; readonly t: TestApp } {
  const world = {} as { db: CliDatabase; t: TestApp };
  beforeAll(async () => {
    world.db = await cliDatabase(dialect);
    await runCli(['migrate'], world.db.env);
    world.t = await createTestApp(dialect, { database: { url: world.db.url, drop: async () => {} }, env: world.db.env });
  });
  afterAll(async () => {
    await world.t?.close();
    await world.db?.drop();
  });
  return world;
}

/**
 * For one test: `instances` apps and the CLI on a fresh database, as operators' shells beside servers. The
 * apps' clocks start at the wall clock the CLI reads (tests then move them), one clock shared or each its
 * own (separate processes); everything is dropped afterwards.
 */
export async function withServersAndCli(
  dialect: DialectName,
  options: { instances?: number; sharedClock?: boolean; serverEnv?: Record<string, string> },
  test: (world: { db: CliDatabase; apps: TestApp[] }) => Promise<void>,
): Promise<void> {
  const db = await cliDatabase(dialect);
  const apps: TestApp[] = [];
  try {
    await runCli(['migrate'], db.env);
    const start = Date.now();
    const shared = new ManualClock(start);
    for (let i = 0; i < (options.instances ?? 1); i++) {
      const clock = options.sharedClock ? shared : new ManualClock(start);
      apps.push(await createTestApp(dialect, { database: { url: db.url, drop: async () => {} }, env: { ...db.env, ...options.serverEnv }, clock }));
    }
    await test({ db, apps });
  } finally {
    for (const app of apps) await app.close();
    await db.drop();
  }
}
