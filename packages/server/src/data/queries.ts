import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Db } from '../db/transaction.js';
import { tableRef } from '../tables/physical.js';
import type { TableDefinition } from '../tables/definition.js';
import { encodeColumn, splitRecord, type StoredRow } from './row-codec.js';
import { physicalName, type StorageDialect } from './storage-dialect.js';

/** The only code touching the per-table SQL tables (`t_<id>`); names are synthetic, values bound. */

export interface NewRow {
  id: string;
  createdBy: string;
  createdAt: number;
  fields: Record<string, unknown>;
}

export async function insertRows(db: Db, dialect: StorageDialect, table: TableDefinition, rows: NewRow[]): Promise<void> {
  for (const row of rows) {
    const { columns, extra } = splitRecord(table, row.fields);
    const names = ['id', 'created_by', 'created_at', 'updated_at', 'extra', ...Object.keys(columns)];
    const values = [
      sql`${row.id}`,
      sql`${row.createdBy}`,
      sql`${row.createdAt}`,
      sql`${row.createdAt}`,
      extra === null ? sql`null` : dialect.jsonParam(extra),
      ...Object.values(columns).map(({ value, storage }) => sql`${encodeColumn(dialect, storage, value)}`),
    ];
    await sql`insert into ${tableRef(table.id)} (${sql.join(names.map((n) => sql.ref(physicalName(n))))}) values (${sql.join(values)})`.execute(db);
  }
}

export async function findRow(db: Db, table: TableDefinition, id: string, forUpdate = false): Promise<StoredRow | undefined> {
  const lock = forUpdate ? sql` for update` : sql``;
  const result = await sql<StoredRow>`select * from ${tableRef(table.id)} where id = ${id}${lock}`.execute(db);
  return result.rows[0];
}

export async function updateRow(db: Db, dialect: StorageDialect, table: TableDefinition, id: string, changed: Record<string, unknown>, extra: Record<string, unknown> | null, now: number): Promise<void> {
  const { columns } = splitRecord(table, Object.fromEntries(Object.entries(changed).filter(([field]) => Object.hasOwn(table.columns, field))));
  const sets = [
    sql`updated_at = ${now}`,
    sql`extra = ${extra === null ? sql`null` : dialect.jsonParam(extra)}`,
    ...Object.entries(columns).map(([column, { value, storage }]) => sql`${sql.ref(physicalName(column))} = ${encodeColumn(dialect, storage, value)}`),
  ];
  await sql`update ${tableRef(table.id)} set ${sql.join(sets)} where id = ${id}`.execute(db);
}

export async function deleteRow(db: Db, table: TableDefinition, id: string): Promise<boolean> {
  const result = await sql`delete from ${tableRef(table.id)} where id = ${id}`.execute(db);
  return Number(result.numAffectedRows ?? 0) > 0;
}

export async function selectPage(db: Db, table: TableDefinition, where: RawBuilder<SqlBool>, order: RawBuilder<unknown>[], limit: number, offset: number): Promise<StoredRow[]> {
  const result = await sql<StoredRow>`select * from ${tableRef(table.id)} where ${where} order by ${sql.join(order)} limit ${limit} offset ${offset}`.execute(db);
  return result.rows;
}

export async function countMatching(db: Db, table: TableDefinition, where: RawBuilder<SqlBool>): Promise<number> {
  const result = await sql<{ n: number | string }>`select count(*) as n from ${tableRef(table.id)} where ${where}`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/** The compiled SQL of a list query (tests print it; the bench prints its plan). */
export function pageQuery(table: TableDefinition, where: RawBuilder<SqlBool>, order: RawBuilder<unknown>[], limit: number, offset: number) {
  return sql`select * from ${tableRef(table.id)} where ${where} order by ${sql.join(order)} limit ${limit} offset ${offset}`;
}
