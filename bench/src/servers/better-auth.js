// The peer: Better Auth with email + password and its defaults (scrypt through node:crypto, database
// sessions, no cookie cache), mounted the way its docs mount it on Node (`toNodeHandler` on node:http).
// Only what a deployer would change for a load test is changed: rate limiting and telemetry off, and
// the same SQLite pragmas / pool size Latch uses (both favour the peer, never Latch).
import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import pg from 'pg';
import { serveChild } from './child.js';

const databaseUrl = process.env.BENCH_DATABASE_URL;
const secret = process.env.BENCH_SECRET;
if (!databaseUrl || !secret) throw new Error('BENCH_DATABASE_URL and BENCH_SECRET are required');

function openDatabase(url) {
  if (url.startsWith('file:')) {
    const sqlite = new Database(url.slice('file:'.length));
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    return { database: sqlite, close: async () => sqlite.close() };
  }
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  return { database: pool, close: () => pool.end() };
}

await serveChild(async () => {
  let handler = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;

  const { database, close } = openDatabase(databaseUrl);
  const auth = betterAuth({
    baseURL: url,
    secret,
    database,
    emailAndPassword: { enabled: true },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { level: 'error' },
  });
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  handler = toNodeHandler(auth);
  return {
    url,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await close();
    },
  };
});
