import { iso } from '../clock.js';
import type { TableDefinition } from '../tables/definition.js';
import type { StorageDialect } from './storage-dialect.js';

/** A physical row as the driver returns it. */
export type StoredRow = Record<string, unknown> & { id: string; created_by: string; created_at: number | string; updated_at: number | string; extra: unknown };

export type DataRecord = Record<string, unknown> & { id: string; createdBy: string; createdAt: string; updatedAt: string };

const SYSTEM_KEYS = new Set(['id', 'createdBy', 'createdAt', 'updatedAt']);

export function isSystemKey(key: string): boolean {
  return SYSTEM_KEYS.has(key) || key === '_id';
}

/**
 * Row → API record (§7.2): the four system fields, then declared fields that hold a value, then the
 * undeclared ones. A value left in `extra` under a declared name (its type changed, §8.6) still shows.
 */
export function rowToRecord(table: TableDefinition, dialect: StorageDialect, row: StoredRow): DataRecord {
  const extra = (row.extra === null || row.extra === undefined ? {} : dialect.decodeJson(row.extra)) as Record<string, unknown>;
  const record: DataRecord = {
    id: row.id,
    createdBy: row.created_by,
    createdAt: iso(Number(row.created_at))!,
    updatedAt: iso(Number(row.updated_at))!,
  };
  for (const [field, info] of Object.entries(table.columns)) {
    const value = row[info.column];
    if (value === null || value === undefined) continue;
    record[field] = info.storage === 'bool' ? Number(value) !== 0 : info.storage === 'json' ? dialect.decodeJson(value) : info.storage === 'number' ? Number(value) : value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (!Object.hasOwn(record, key) && value !== null) record[key] = value;
  }
  return record;
}

/** Record fields (no system fields) → declared column values and the undeclared rest. */
export function splitRecord(table: TableDefinition, record: Record<string, unknown>) {
  const columns: Record<string, { value: unknown; storage: string }> = {};
  const extra: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(record)) {
    const info = Object.hasOwn(table.columns, field) ? table.columns[field] : undefined;
    if (info) columns[info.column] = { value: value === undefined ? null : value, storage: info.storage };
    else if (value !== null && value !== undefined) extra[field] = value;
  }
  return { columns, extra: Object.keys(extra).length > 0 ? extra : null };
}

export function encodeColumn(dialect: StorageDialect, storage: string, value: unknown) {
  if (value === null) return null;
  if (storage === 'bool') return dialect.boolParam(value === true);
  if (storage === 'json') return dialect.jsonParam(value);
  return value;
}
