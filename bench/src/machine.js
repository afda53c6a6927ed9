// What the run ran on, for the header of RESULTS.md.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export function machineInfo() {
  const list = cpus();
  return {
    cpu: list[0]?.model?.trim() ?? 'unknown CPU',
    cores: list.length,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
    os: `${type()} ${release()}`,
    load: loadavg()[0].toFixed(2),
  };
}

function version(bench, name) {
  try {
    return JSON.parse(readFileSync(join(bench, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

export function softwareInfo(bench, pgVersion) {
  const sqlite = new Database(':memory:');
  const sqliteVersion = sqlite.prepare('select sqlite_version() as v').get().v;
  sqlite.close();
  return [
    `Node ${process.versions.node}`,
    `SQLite ${sqliteVersion}`,
    pgVersion ? `PostgreSQL ${pgVersion}` : undefined,
    `better-auth ${version(bench, 'better-auth')}`,
    `fastify ${version(bench, 'fastify')} (floor)`,
    `@node-rs/argon2 ${version(bench, '@node-rs/argon2')}`,
    `autocannon ${version(bench, 'autocannon')}`,
  ]
    .filter(Boolean)
    .join(', ');
}
