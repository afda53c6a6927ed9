import { sql, type RawBuilder } from 'kysely';
import { sha256Hex } from '../crypto/digest.js';
import { physicalName, type StorageDialect } from '../data/storage-dialect.js';
import type { Db } from '../db/transaction.js';
import type { ColumnInfo, TableDefinition } from './definition.js';

/**
 * The real SQL table behind each data table: `t_<id>` with the system columns, one typed column per
 * declared field (`f_<fieldId>`), and `extra` (JSON) for undeclared fields (D-27). Filters and sorts
 * on declared fields are plain column predicates, so declared indexes are real SQL indexes.
 */
export const SYSTEM_COLUMNS: Record<string, string> = { id: 'id', createdBy: 'created_by', createdAt: 'created_at', updatedAt: 'updated_at' };

export interface PhysicalIndex {
  name: string;
  unique: boolean;
  sparse: boolean;
  columns: Array<{ column: string; direction: 'asc' | 'desc'; nullable: boolean }>;
}

export function tableRef(tableId: string) {
  return sql.table(physicalName(`t_${tableId}`));
}

/** The owner index that keeps `self`-filtered lists fast (createdBy = requester, newest first). */
export function ownerIndexName(tableId: string): string {
  return `i_${tableId}_00000000`;
}

/**
 * Every index the definition needs besides the primary key and the owner index: declared indexes and
 * `unique` fields. The physical name is derived from what the index covers, so diffing two definitions
 * by name finds exactly the indexes to drop and create (a field whose column changed gets a new one).
 */
export function physicalIndexes(def: TableDefinition): PhysicalIndex[] {
  const out: PhysicalIndex[] = [];
  const columnOf = (field: string) => {
    if (field in SYSTEM_COLUMNS) return { column: SYSTEM_COLUMNS[field], nullable: false };
    return { column: def.columns[field].column, nullable: true };
  };
  for (const index of def.indexes) {
    const columns = Object.entries(index.fields).map(([field, order]) => ({ ...columnOf(field), direction: order === -1 ? ('desc' as const) : ('asc' as const) }));
    // Lists break ties by id in the sort direction (§7.12): ending a non-unique index with id lets the
    // index deliver `ORDER BY <fields>, id` without a sort step (a unique index keeps its exact keys).
    if (!index.unique && !('id' in index.fields)) columns.push({ column: 'id', nullable: false, direction: columns[columns.length - 1].direction });
    out.push(named(def.id, 'i', { unique: index.unique, sparse: index.sparse, columns }));
  }
  for (const [field, schema] of Object.entries(def.schema.properties)) {
    if (schema.unique) out.push(named(def.id, 'u', { unique: true, sparse: true, columns: [{ ...columnOf(field), direction: 'asc' }] }));
  }
  return out;
}

function named(tableId: string, kind: 'i' | 'u', spec: Omit<PhysicalIndex, 'name'>): PhysicalIndex {
  const signature = JSON.stringify([spec.unique, spec.sparse, spec.columns.map((c) => [c.column, c.direction])]);
  return { name: `${kind}_${tableId}_${sha256Hex(signature).slice(0, 8)}`, ...spec };
}

export async function createPhysicalTable(db: Db, dialect: StorageDialect, def: TableDefinition): Promise<void> {
  const text = dialect.columnType('text');
  const columns: RawBuilder<unknown>[] = [
    sql`id ${text} primary key`,
    sql`created_by ${text} not null`,
    sql`created_at bigint not null`,
    sql`updated_at bigint not null`,
    sql`extra ${dialect.jsonColumnType()}`,
    ...Object.values(def.columns).map((c) => sql`${sql.ref(physicalName(c.column))} ${columnType(dialect, c)}`),
  ];
  await sql`create table ${tableRef(def.id)} (${sql.join(columns)})`.execute(db);
  await sql`create index ${sql.ref(physicalName(ownerIndexName(def.id)))} on ${tableRef(def.id)} (created_by, id)`.execute(db);
  for (const index of physicalIndexes(def)) await createIndex(db, dialect, def.id, index);
}

function columnType(dialect: StorageDialect, column: ColumnInfo) {
  return column.storage === 'json' ? dialect.jsonColumnType() : dialect.columnType(column.storage);
}

/**
 * New columns are added before the main transaction, on their own: ADD COLUMN without a default is a
 * catalogue change on both databases, and doing it apart keeps PostgreSQL's exclusive lock short
 * instead of holding it while existing values move. Metadata does not name the column until the main
 * transaction commits, so a column left behind by a failed change is never read.
 */
export async function addColumns(db: Db, dialect: StorageDialect, tableId: string, columns: ColumnInfo[]): Promise<void> {
  for (const column of columns) {
    await sql`alter table ${tableRef(tableId)} add column ${sql.ref(physicalName(column.column))} ${columnType(dialect, column)}`.execute(db);
  }
}

/** Columns no definition names any more; dropped after commit (their values already moved to `extra`). */
export async function dropColumns(db: Db, tableId: string, columns: string[]): Promise<void> {
  for (const column of columns) {
    await sql`alter table ${tableRef(tableId)} drop column ${sql.ref(physicalName(column))}`.execute(db);
  }
}

export function columnChanges(before: TableDefinition | null, after: TableDefinition) {
  const beforeColumns = new Map(Object.entries(before?.columns ?? {}));
  const afterColumns = new Map(Object.entries(after.columns));
  const added: Array<{ field: string; info: ColumnInfo }> = [];
  const removed: Array<{ field: string; info: ColumnInfo }> = [];
  for (const [field, info] of afterColumns) {
    if (beforeColumns.get(field)?.column !== info.column) added.push({ field, info });
  }
  for (const [field, info] of beforeColumns) {
    if (afterColumns.get(field)?.column !== info.column) removed.push({ field, info });
  }
  return { added, removed };
}

/**
 * Inside the main transaction: drop indexes that change, move the values of removed (or retyped)
 * fields into `extra` (decisions.md §4: nothing is dropped but the table), move matching undeclared
 * values into new columns, then create the new indexes. Readers keep reading the old snapshot meanwhile.
 */
export async function applyPhysicalChanges(db: Db, dialect: StorageDialect, before: TableDefinition, after: TableDefinition): Promise<void> {
  const beforeIndexes = new Map(physicalIndexes(before).map((i) => [i.name, i]));
  const afterIndexes = new Map(physicalIndexes(after).map((i) => [i.name, i]));
  for (const name of beforeIndexes.keys()) {
    if (!afterIndexes.has(name)) await sql`drop index if exists ${sql.ref(physicalName(name))}`.execute(db);
  }
  const { added, removed } = columnChanges(before, after);
  const table = tableRef(after.id);
  const extra = sql.ref('extra');
  for (const { field, info } of removed) {
    const column = sql.ref(physicalName(info.column));
    await sql`update ${table} set extra = ${dialect.extraWithKey(extra, field, dialect.columnAsJson(column, info.storage))}, ${column} = null where ${column} is not null`.execute(db);
  }
  for (const { field, info } of added) {
    const column = sql.ref(physicalName(info.column));
    await sql`update ${table} set ${column} = ${dialect.extraKeyAs(extra, field, info.storage)}, extra = ${dialect.extraWithoutKey(extra, field)} where ${dialect.extraKeyFits(extra, field, info.storage)}`.execute(db);
  }
  for (const [name, index] of afterIndexes) {
    if (!beforeIndexes.has(name)) await createIndex(db, dialect, after.id, index);
  }
}

async function createIndex(db: Db, dialect: StorageDialect, tableId: string, index: PhysicalIndex): Promise<void> {
  const terms = index.columns.map((c) => (c.nullable ? dialect.indexTerm(c.column, c.direction) : sql`${sql.ref(physicalName(c.column))} ${sql.raw(c.direction)}`));
  const nullable = index.columns.filter((c) => c.nullable);
  // Sparse (§8.5): rows lacking every indexed field are left out, so uniqueness binds only rows that have it.
  const where = index.sparse && nullable.length > 0 ? sql` where ${sql.join(nullable.map((c) => sql`${sql.ref(physicalName(c.column))} is not null`), sql` or `)}` : sql``;
  await sql`create ${sql.raw(index.unique ? 'unique index' : 'index')} ${sql.ref(physicalName(index.name))} on ${tableRef(tableId)} (${sql.join(terms)})${where}`.execute(db);
}

export async function dropPhysicalTable(db: Db, tableId: string): Promise<void> {
  await sql`drop table if exists ${tableRef(tableId)}`.execute(db);
}
