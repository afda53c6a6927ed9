import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import type { TableDefinition } from '../tables/definition.js';
import { definitionFromRow } from '../tables/queries.js';
import type { DataTablesTable } from './tables.js';

export interface CachedTable {
  /** The metadata row as last read, serialized: a fresh read must match it exactly to be trusted. */
  raw: string;
  table: TableDefinition;
}

const caches = new WeakMap<object, Map<string, CachedTable>>();
const MAX_ENTRIES = 1000;

/**
 * Definitions seen recently, per database. Never trusted on its own: the list path runs its query with
 * the cached definition *while* it reads the metadata row again, and keeps the result only when that row
 * is identical (so a policy or schema change by any instance applies to the very next request). A hit
 * saves one round trip; a miss costs nothing but the discarded query.
 */
export function cachedTable(db: Kysely<Database>, name: string): CachedTable | undefined {
  return caches.get(db)?.get(name);
}

export function rememberTable(db: Kysely<Database>, row: DataTablesTable): CachedTable {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  if (cache.size >= MAX_ENTRIES) cache.clear();
  const entry = { raw: JSON.stringify(row), table: definitionFromRow(row) };
  cache.set(row.name, entry);
  return entry;
}

export function forgetTable(db: Kysely<Database>, name: string): void {
  caches.get(db)?.delete(name);
}
