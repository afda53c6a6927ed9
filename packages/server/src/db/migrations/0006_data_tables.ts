import type { Kysely } from 'kysely';

// Metadata of the app's own data tables (data-and-rls.md §8, decisions.md §4). The rows themselves live
// in one real SQL table per data table, created at runtime with synthetic names (`t_<tableId>`), so
// user-chosen names never reach an identifier position (SQLite folds case, PostgreSQL truncates at 63 bytes).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('data_tables')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('description', 'text')
    // { bsonType: "object", required, properties } as authored (normalized to bsonType names).
    .addColumn('schema_json', 'text', (c) => c.notNull())
    // field name → { column: "f_<fieldId>", storage } — the physical mapping, never shown to clients.
    .addColumn('columns_json', 'text', (c) => c.notNull())
    // [{ name, fields, unique, sparse, physical }]
    .addColumn('indexes_json', 'text', (c) => c.notNull())
    .addColumn('permissions_json', 'text')
    .addColumn('expression_permissions_json', 'text')
    .addColumn('column_permissions_json', 'text')
    .addColumn('row_filters_json', 'text')
    .addColumn('schema_version', 'integer', (c) => c.notNull())
    .addColumn('index_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // Table names are case-sensitive (§7.1): the default (binary / deterministic) text comparison is wanted.
  await db.schema.createIndex('data_tables_name').on('data_tables').column('name').unique().execute();

  for (const [table, payload] of [
    ['data_schema_versions', 'schema_json'],
    ['data_index_versions', 'indexes_json'],
  ] as const) {
    await db.schema
      .createTable(table)
      .addColumn('table_id', 'text', (c) => c.notNull().references('data_tables.id').onDelete('cascade'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn(payload, 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['table_id', 'version'])
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['data_index_versions', 'data_schema_versions', 'data_tables']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
