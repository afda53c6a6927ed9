import { sql } from 'kysely';
import type { DataTablesTable } from '../data/tables.js';
import type { Db } from '../db/transaction.js';
import { physicalName } from '../data/storage-dialect.js';
import type { TableDefinition } from './definition.js';

/** The only code touching the metadata tables (STYLE §1). */

export function definitionFromRow(row: DataTablesTable): TableDefinition {
  const parse = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));
  return {
    id: row.id,
    name: row.name,
    displayName: row.display_name,
    description: row.description,
    schema: JSON.parse(row.schema_json),
    columns: JSON.parse(row.columns_json),
    indexes: JSON.parse(row.indexes_json),
    policy: {
      permissions: parse(row.permissions_json),
      expressionPermissions: parse(row.expression_permissions_json),
      columnPermissions: parse(row.column_permissions_json),
      rowFilters: parse(row.row_filters_json),
    },
    schemaVersion: Number(row.schema_version),
    indexVersion: Number(row.index_version),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function rowFromDefinition(def: TableDefinition): DataTablesTable {
  const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
  return {
    id: def.id,
    name: def.name,
    display_name: def.displayName,
    description: def.description,
    schema_json: JSON.stringify(def.schema),
    columns_json: JSON.stringify(def.columns),
    indexes_json: JSON.stringify(def.indexes),
    permissions_json: json(def.policy.permissions),
    expression_permissions_json: json(def.policy.expressionPermissions),
    column_permissions_json: json(def.policy.columnPermissions),
    row_filters_json: json(def.policy.rowFilters),
    schema_version: def.schemaVersion,
    index_version: def.indexVersion,
    created_at: def.createdAt,
    updated_at: def.updatedAt,
  };
}

export async function findTableByName(db: Db, name: string, lock: 'none' | 'share' | 'update' = 'none'): Promise<TableDefinition | undefined> {
  let query = db.selectFrom('data_tables').selectAll().where('name', '=', name);
  if (lock === 'share') query = query.forShare();
  if (lock === 'update') query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? definitionFromRow(row) : undefined;
}

/** The raw metadata row (the list path compares it with a cached copy, byte for byte). */
export async function findTableRowByName(db: Db, name: string): Promise<DataTablesTable | undefined> {
  return db.selectFrom('data_tables').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function findTableByIdOrName(db: Db, idOrName: string, lock: 'none' | 'update' = 'none'): Promise<TableDefinition | undefined> {
  let query = db.selectFrom('data_tables').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]));
  if (lock === 'update') query = query.forUpdate();
  const rows = await query.execute();
  // An id wins over a name that happens to look like another table's id.
  const row = rows.find((r) => r.id === idOrName) ?? rows[0];
  return row ? definitionFromRow(row) : undefined;
}

export async function listTableDefinitions(db: Db): Promise<TableDefinition[]> {
  const rows = await db.selectFrom('data_tables').selectAll().orderBy('name').execute();
  return rows.map(definitionFromRow);
}

export async function insertTableRow(db: Db, def: TableDefinition): Promise<void> {
  await db.insertInto('data_tables').values(rowFromDefinition(def)).execute();
}

export async function updateTableRow(db: Db, def: TableDefinition): Promise<void> {
  const { id, created_at, ...rest } = rowFromDefinition(def);
  await db.updateTable('data_tables').set(rest).where('id', '=', id).execute();
}

export async function deleteTableRow(db: Db, id: string): Promise<void> {
  // Versions go first explicitly: PostgreSQL cascades, SQLite only with foreign_keys on.
  await db.deleteFrom('data_schema_versions').where('table_id', '=', id).execute();
  await db.deleteFrom('data_index_versions').where('table_id', '=', id).execute();
  await db.deleteFrom('data_tables').where('id', '=', id).execute();
}

export async function insertSchemaVersion(db: Db, tableId: string, version: number, schema: unknown, createdBy: string, now: number): Promise<void> {
  await db.insertInto('data_schema_versions').values({ table_id: tableId, version, schema_json: JSON.stringify(schema), created_by: createdBy, created_at: now }).execute();
}

export async function insertIndexVersion(db: Db, tableId: string, version: number, indexes: unknown, createdBy: string, now: number): Promise<void> {
  await db.insertInto('data_index_versions').values({ table_id: tableId, version, indexes_json: JSON.stringify(indexes), created_by: createdBy, created_at: now }).execute();
}

export async function listSchemaVersionRows(db: Db, tableId: string, limit: number, offset: number) {
  const [rows, total] = await Promise.all([
    db.selectFrom('data_schema_versions').selectAll().where('table_id', '=', tableId).orderBy('version', 'desc').limit(limit).offset(offset).execute(),
    db.selectFrom('data_schema_versions').select((eb) => eb.fn.countAll<number>().as('n')).where('table_id', '=', tableId).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

export async function listIndexVersionRows(db: Db, tableId: string, limit: number, offset: number) {
  const [rows, total] = await Promise.all([
    db.selectFrom('data_index_versions').selectAll().where('table_id', '=', tableId).orderBy('version', 'desc').limit(limit).offset(offset).execute(),
    db.selectFrom('data_index_versions').select((eb) => eb.fn.countAll<number>().as('n')).where('table_id', '=', tableId).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

/** Rows of one data table (documentCount). */
export async function countRows(db: Db, tableId: string): Promise<number> {
  const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(physicalName(`t_${tableId}`))}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}
