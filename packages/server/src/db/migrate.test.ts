import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase, postgresOnly } from '../../test/helpers/databases.js';
import { connectDatabase, type DatabaseHandle } from './connect.js';
import { createMigrator, migrateToLatest, MIGRATIONS } from './migrate.js';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const NAMES = Object.keys(MIGRATIONS);

async function schemaOf(db: Kysely<any>) {
  const tables = await db.introspection.getTables();
  return tables
    .map((t) => ({ name: t.name, columns: t.columns.map((c) => `${c.name}:${c.dataType}:${c.isNullable ? 'null' : 'not null'}`).sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('the migration list', () => {
  it('registers every file in migrations/, numbered 0001… without gaps', () => {
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.includes('.test.')).map((f) => f.replace(/\.(ts|js)$/, ''));
    expect(NAMES).toEqual([...files].sort());
    NAMES.forEach((name, i) => expect(name.slice(0, 4)).toBe(String(i + 1).padStart(4, '0')));
  });

  it('never imports app code (STYLE §11: a migration describes the schema as it was)', () => {
    for (const file of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.ts'))) {
      const imports = [...readFileSync(join(MIGRATIONS_DIR, file), 'utf8').matchAll(/^\s*import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
      expect({ file, imports: imports.filter((i) => i !== 'kysely') }).toEqual({ file, imports: [] });
    }
  });
});

describe.each(dialects)('migrations on %s', (dialect) => {
  const opened: Array<DatabaseHandle | TestDatabase> = [];
  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await ('drop' in item ? item.drop() : item.close());
  });

  async function freshDatabase(): Promise<{ url: string; handle: DatabaseHandle }> {
    const database = await createTestDatabase(dialect);
    opened.push(database);
    const handle = connectDatabase(database.url);
    opened.push(handle);
    return { url: database.url, handle };
  }

  it('applies every migration on a fresh database; a second run is a no-op', async () => {
    const { handle } = await freshDatabase();
    expect(await migrateToLatest(handle.db)).toEqual(NAMES);
    const schema = await schemaOf(handle.db);
    expect(schema.map((t) => t.name)).toEqual(expect.arrayContaining(['users', 'sessions', 'api_keys', 'outbox', 'latch_migrations']));
    expect(await migrateToLatest(handle.db)).toEqual([]);
    expect(await schemaOf(handle.db)).toEqual(schema);
  });

  it('runs each migration up one at a time, down to nothing, and up again to the same schema', async () => {
    const { handle } = await freshDatabase();
    const migrator = createMigrator(handle.db);
    for (const name of NAMES) {
      const { error, results } = await migrator.migrateUp();
      expect({ name, error: error ? String(error) : undefined, applied: results?.map((r) => `${r.migrationName}:${r.status}`) }).toEqual({ name, error: undefined, applied: [`${name}:Success`] });
    }
    const full = await schemaOf(handle.db);
    for (const name of [...NAMES].reverse()) {
      const { error, results } = await migrator.migrateDown();
      expect({ name, error: error ? String(error) : undefined, reverted: results?.map((r) => `${r.migrationName}:${r.status}`) }).toEqual({ name, error: undefined, reverted: [`${name}:Success`] });
    }
    expect((await schemaOf(handle.db)).map((t) => t.name).filter((n) => !n.startsWith('latch_migrations'))).toEqual([]);
    expect(await migrateToLatest(handle.db)).toEqual(NAMES);
    expect(await schemaOf(handle.db)).toEqual(full);
  });
});

/** Several instances may start together on one PostgreSQL: Kysely's migration lock serialises them. */
describe.each(postgresOnly())('migrations racing on PostgreSQL (%s)', () => {
  it('two instances migrating at once apply each migration exactly once', async () => {
    const database = await createTestDatabase('postgres');
    const a = connectDatabase(database.url);
    const b = connectDatabase(database.url);
    try {
      const [fromA, fromB] = await Promise.all([migrateToLatest(a.db), migrateToLatest(b.db)]);
      expect([...fromA, ...fromB].sort()).toEqual(NAMES);
      const rows = await a.db.selectFrom('latch_migrations' as never).select('name' as never).execute();
      expect(rows).toHaveLength(NAMES.length);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});
if (!dialects.includes('postgres')) console.warn('[migrate.test] concurrent PostgreSQL migration SKIPPED: LATCH_TEST_POSTGRES_URL is not set');
