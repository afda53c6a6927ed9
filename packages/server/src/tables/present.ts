import { iso } from '../clock.js';
import { pagination } from '../http/schemas.js';
import type { TableDefinition } from './definition.js';

/** decisions.md §4 Table shape; physical names stay internal. */
export interface TableView {
  id: string;
  tableName: string;
  displayName: string | null;
  description: string | null;
  schema: TableDefinition['schema'];
  indexes: Array<{ name: string; fields: Record<string, 1 | -1>; unique: boolean; sparse: boolean }>;
  permissions: TableDefinition['policy']['permissions'];
  expressionPermissions: TableDefinition['policy']['expressionPermissions'];
  columnPermissions: TableDefinition['policy']['columnPermissions'];
  rowFilters: TableDefinition['policy']['rowFilters'];
  documentCount: number;
  schemaVersion: number;
  indexVersion: number;
  createdAt: string;
  updatedAt: string;
}

export function presentTable(def: TableDefinition, documentCount: number): TableView {
  return {
    id: def.id,
    tableName: def.name,
    displayName: def.displayName,
    description: def.description,
    schema: def.schema,
    indexes: def.indexes.map(({ name, fields, unique, sparse }) => ({ name, fields, unique, sparse })),
    permissions: def.policy.permissions,
    expressionPermissions: def.policy.expressionPermissions,
    columnPermissions: def.policy.columnPermissions,
    rowFilters: def.policy.rowFilters,
    documentCount,
    schemaVersion: def.schemaVersion,
    indexVersion: def.indexVersion,
    createdAt: iso(def.createdAt)!,
    updatedAt: iso(def.updatedAt)!,
  };
}

export interface VersionView {
  version: number;
  createdAt: string;
  createdBy: string;
  schema?: TableDefinition['schema'];
  indexes?: Array<Record<string, unknown>>;
  current: boolean;
}

export interface VersionPage {
  items: VersionView[];
  pagination: ReturnType<typeof pagination>;
}

export function presentVersions(
  rows: Array<{ version: number; created_at: number; created_by: string; payload: never }>,
  key: 'schema' | 'indexes',
  currentVersion: number,
  page: number,
  limit: number,
  total: number,
): VersionPage {
  return {
    items: rows.map((row) => ({
      version: Number(row.version),
      createdAt: iso(row.created_at)!,
      createdBy: row.created_by,
      [key]: row.payload,
      current: Number(row.version) === currentVersion,
    })),
    pagination: pagination(page, limit, total),
  };
}
