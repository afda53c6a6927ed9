import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { randomHex } from '../crypto/random.js';
import { storageDialect } from '../data/storage-dialect.js';
import { validateField, type FieldIssue } from '../data/validate-record.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import { AppError } from '../errors/app-error.js';
import { checkRowFilter, FilterError } from '../rls/filter.js';
import { PolicyError, validatePolicy, type TablePolicy } from '../rls/policy.js';
import {
  checkFieldName,
  checkTableName,
  DefinitionError,
  normalizeField,
  normalizeSchema,
  storageOf,
  type ColumnInfo,
  type FieldSchema,
  type TableDefinition,
  type TableSchema,
} from './definition.js';
import { checkIndexSet, normalizeIndex } from './indexes.js';
import { addColumns, applyPhysicalChanges, columnChanges, createPhysicalTable, dropColumns, dropPhysicalTable } from './physical.js';
import { presentTable, presentVersions, type TableView, type VersionPage } from './present.js';
import {
  countRows,
  deleteTableRow,
  findTableByIdOrName,
  findTableByName,
  insertIndexVersion,
  insertSchemaVersion,
  insertTableRow,
  listIndexVersionRows,
  listSchemaVersionRows,
  listTableDefinitions,
  updateTableRow,
} from './queries.js';

/**
 * Table management (decisions.md §4): one service for `/v1/admin/tables`, `latch tables apply` and the
 * MCP `backend_table_*` tools. Plain functions `(ctx, input) → result`; failures are AppErrors:
 * 400 common/invalid-parameters (bad definition), 404 data/table-not-found, 409 data/table-already-exists.
 */
export type TablesContext = Pick<AppContext, 'db' | 'dialect' | 'clock' | 'log'>;

/** Who made a change, recorded on schema and index versions (`createdBy`). */
export type Actor = string;

export interface CreateTableInput {
  tableName: string;
  schema?: unknown;
  displayName?: string | null;
  description?: string | null;
  indexes?: unknown[];
  permissions?: unknown;
  expressionPermissions?: unknown;
  columnPermissions?: unknown;
  rowFilters?: unknown;
}

export interface UpdateTableInput {
  displayName?: string | null;
  description?: string | null;
  permissions?: unknown;
  expressionPermissions?: unknown;
  columnPermissions?: unknown;
  rowFilters?: unknown;
}

export interface ManageFieldsInput {
  fieldsToAddOrUpdate?: Record<string, unknown>;
  fieldsToRemove?: string[];
  requiredFieldsToAdd?: string[];
  requiredFieldsToRemove?: string[];
}

export interface ManageIndexesInput {
  indexesToAddOrUpdate?: unknown[];
  indexesToRemove?: string[];
}

export { type TableView, type VersionPage } from './present.js';

export async function listTables(ctx: TablesContext): Promise<TableView[]> {
  const defs = await listTableDefinitions(ctx.db);
  return Promise.all(defs.map(async (def) => presentTable(def, await countRows(ctx.db, def.id))));
}

export async function getTable(ctx: TablesContext, idOrName: string): Promise<TableView> {
  const def = await loadTable(ctx, idOrName);
  return presentTable(def, await countRows(ctx.db, def.id));
}

export async function createTable(ctx: TablesContext, input: CreateTableInput, actor: Actor): Promise<TableView> {
  const def = buildNewTable(input, ctx.clock.now());
  if (await findTableByName(ctx.db, def.name)) throw new AppError('data/table-already-exists', `Table "${def.name}" already exists`);
  await runChanges(ctx, [{ before: null, after: def }], [], actor);
  await recordAudit(ctx, { event: 'table.created', actor, details: { tableId: def.id, tableName: def.name } });
  return presentTable(def, 0);
}

export async function updateTable(ctx: TablesContext, idOrName: string, input: UpdateTableInput, actor: Actor): Promise<TableView> {
  const def = await changeTable(ctx, idOrName, actor, (current) => withUpdate(current, input));
  await recordAudit(ctx, { event: 'table.updated', actor, details: { tableId: def.id, tableName: def.name, keys: Object.keys(input ?? {}) } });
  return presentTable(def, await countRows(ctx.db, def.id));
}

export async function manageFields(ctx: TablesContext, idOrName: string, input: ManageFieldsInput, actor: Actor): Promise<TableView> {
  const def = await changeTable(ctx, idOrName, actor, (current) => withFields(current, input));
  return presentTable(def, await countRows(ctx.db, def.id));
}

export async function manageIndexes(ctx: TablesContext, idOrName: string, input: ManageIndexesInput, actor: Actor): Promise<TableView> {
  const def = await changeTable(ctx, idOrName, actor, (current) => withIndexes(current, input));
  return presentTable(def, await countRows(ctx.db, def.id));
}

export async function deleteTable(ctx: TablesContext, idOrName: string, actor: Actor): Promise<{ success: true }> {
  const def = await loadTable(ctx, idOrName);
  await runChanges(ctx, [], [def], actor);
  await recordAudit(ctx, { event: 'table.deleted', actor, details: { tableId: def.id, tableName: def.name } });
  return { success: true };
}

export async function listSchemaVersions(ctx: TablesContext, idOrName: string, page = 1, limit = 20): Promise<VersionPage> {
  const def = await loadTable(ctx, idOrName);
  const { rows, total } = await listSchemaVersionRows(ctx.db, def.id, limit, (page - 1) * limit);
  return presentVersions(rows.map((r) => ({ ...r, payload: JSON.parse(r.schema_json) as never })), 'schema', def.schemaVersion, page, limit, total);
}

export async function listIndexVersions(ctx: TablesContext, idOrName: string, page = 1, limit = 20): Promise<VersionPage> {
  const def = await loadTable(ctx, idOrName);
  const { rows, total } = await listIndexVersionRows(ctx.db, def.id, limit, (page - 1) * limit);
  return presentVersions(rows.map((r) => ({ ...r, payload: JSON.parse(r.indexes_json) as never })), 'indexes', def.indexVersion, page, limit, total);
}

/** The table (by id or name) or 404 data/table-not-found. */
export async function loadTable(ctx: Pick<AppContext, 'db'>, idOrName: string): Promise<TableDefinition> {
  const def = typeof idOrName === 'string' && idOrName.length <= 128 ? await findTableByIdOrName(ctx.db, idOrName) : undefined;
  if (!def) throw new AppError('data/table-not-found', `Table "${idOrName}" does not exist`);
  return def;
}

// ---------------------------------------------------------------------------------------------
// Building definitions (pure)

export function invalid(error: unknown): never {
  if (error instanceof DefinitionError || error instanceof PolicyError || error instanceof FilterError) {
    throw new AppError('common/invalid-parameters', error.message);
  }
  throw error;
}

function optionalText(value: unknown, name: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max) throw new DefinitionError(`${name} must be a string of at most ${max} characters`);
  return value;
}

function newColumn(storage: ColumnInfo['storage'], taken: Set<string>): ColumnInfo {
  let column: string;
  do column = `f_${randomHex(4)}`;
  while (taken.has(column));
  taken.add(column);
  return { column, storage };
}

/** Declared field → column: a field keeps its column while its storage class stays the same. */
export function mapColumns(schema: TableSchema, previous: Record<string, ColumnInfo>): Record<string, ColumnInfo> {
  const taken = new Set(Object.values(previous).map((c) => c.column));
  const out: Record<string, ColumnInfo> = {};
  for (const [field, fieldSchema] of Object.entries(schema.properties)) {
    const storage = storageOf(fieldSchema.bsonType);
    const kept = previous[field];
    out[field] = kept && kept.storage === storage ? kept : newColumn(storage, taken);
  }
  return out;
}

function checkDefaults(schema: TableSchema): void {
  for (const [field, fieldSchema] of Object.entries(schema.properties)) {
    if (fieldSchema.default === undefined) continue;
    const issues: FieldIssue[] = [];
    fieldSchema.default = validateField(field, fieldSchema, fieldSchema.default, issues);
    if (issues.length > 0) throw new DefinitionError(`field "${field}": default ${issues[0].message}`);
  }
}

function withPolicy(def: TableDefinition, input: Record<string, unknown>): TableDefinition {
  const keys = ['permissions', 'expressionPermissions', 'columnPermissions', 'rowFilters'] as const;
  const given = Object.fromEntries(keys.filter((k) => k in input).map((k) => [k, input[k]]));
  // §4.8: each policy part sent is replaced whole, never merged.
  const policy: TablePolicy = { ...def.policy, ...validatePolicy(given) };
  for (const entry of policy.rowFilters ?? []) checkRowFilter(def, entry.filter);
  return { ...def, policy };
}

export function buildNewTable(input: CreateTableInput, now: number, id = randomHex(8)): TableDefinition {
  try {
    if (typeof input !== 'object' || input === null) throw new DefinitionError('body must be an object');
    const name = checkTableName(input.tableName);
    const schema = normalizeSchema(input.schema);
    checkDefaults(schema);
    const columns = mapColumns(schema, {});
    let def: TableDefinition = {
      id,
      name,
      displayName: optionalText(input.displayName, 'displayName', 200),
      description: optionalText(input.description, 'description', 2000),
      schema,
      columns,
      indexes: [],
      policy: { permissions: null, expressionPermissions: null, columnPermissions: null, rowFilters: null },
      schemaVersion: 1,
      indexVersion: 1,
      createdAt: now,
      updatedAt: now,
    };
    if (input.indexes !== undefined) {
      if (!Array.isArray(input.indexes)) throw new DefinitionError('indexes must be an array');
      def.indexes = input.indexes.map((index) => normalizeIndex(index, def));
      checkIndexSet(def.indexes);
    }
    def = withPolicy(def, input as unknown as Record<string, unknown>);
    return def;
  } catch (error) {
    invalid(error);
  }
}

export function withUpdate(current: TableDefinition, input: UpdateTableInput): TableDefinition {
  try {
    if (typeof input !== 'object' || input === null) throw new DefinitionError('body must be an object');
    let def = { ...current };
    if ('displayName' in input) def.displayName = optionalText(input.displayName, 'displayName', 200);
    if ('description' in input) def.description = optionalText(input.description, 'description', 2000);
    def = withPolicy(def, input as Record<string, unknown>);
    return def;
  } catch (error) {
    invalid(error);
  }
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new DefinitionError(`${name} must be an array of field names`);
  return value as string[];
}

export function withFields(current: TableDefinition, input: ManageFieldsInput): TableDefinition {
  try {
    if (typeof input !== 'object' || input === null) throw new DefinitionError('body must be an object');
    const properties: Record<string, FieldSchema> = { ...current.schema.properties };
    const additions = input.fieldsToAddOrUpdate ?? {};
    if (typeof additions !== 'object' || additions === null || Array.isArray(additions)) throw new DefinitionError('fieldsToAddOrUpdate must map field names to field schemas');
    for (const [name, field] of Object.entries(additions)) {
      checkFieldName(name);
      properties[name] = normalizeField(name, field, 0);
    }
    const removals = stringList(input.fieldsToRemove, 'fieldsToRemove');
    for (const name of removals) {
      if (!Object.hasOwn(properties, name)) throw new DefinitionError(`fieldsToRemove: "${name}" is not a declared field`);
      if (name in additions) throw new DefinitionError(`field "${name}" is both added and removed`);
      const index = current.indexes.find((i) => name in i.fields);
      if (index) throw new DefinitionError(`field "${name}" is used by index "${index.name}"; remove the index first`);
      delete properties[name];
    }
    let required = current.schema.required.filter((name) => Object.hasOwn(properties, name));
    for (const name of stringList(input.requiredFieldsToAdd, 'requiredFieldsToAdd')) {
      if (!Object.hasOwn(properties, name)) throw new DefinitionError(`requiredFieldsToAdd: "${name}" is not a declared field`);
      if (!required.includes(name)) required.push(name);
    }
    const dropRequired = new Set(stringList(input.requiredFieldsToRemove, 'requiredFieldsToRemove'));
    required = required.filter((name) => !dropRequired.has(name));
    const schema: TableSchema = { bsonType: 'object', required, properties };
    if (Object.keys(properties).length > 500) throw new DefinitionError('a table holds at most 500 fields');
    checkDefaults(schema);
    const def = { ...current, schema, columns: mapColumns(schema, current.columns) };
    for (const index of def.indexes) normalizeIndex(index, def); // a retyped field may no longer be indexable
    return withPolicy(def, {});
  } catch (error) {
    invalid(error);
  }
}

export function withIndexes(current: TableDefinition, input: ManageIndexesInput): TableDefinition {
  try {
    if (typeof input !== 'object' || input === null) throw new DefinitionError('body must be an object');
    let indexes = [...current.indexes];
    for (const name of stringList(input.indexesToRemove, 'indexesToRemove')) {
      if (!indexes.some((i) => i.name === name)) throw new DefinitionError(`indexesToRemove: no index named "${name}"`);
      indexes = indexes.filter((i) => i.name !== name);
    }
    const additions = input.indexesToAddOrUpdate ?? [];
    if (!Array.isArray(additions)) throw new DefinitionError('indexesToAddOrUpdate must be an array of index objects');
    for (const raw of additions) {
      const index = normalizeIndex(raw, current);
      const at = indexes.findIndex((i) => i.name === index.name);
      if (at >= 0) indexes[at] = index;
      else indexes.push(index);
    }
    checkIndexSet(indexes);
    return { ...current, indexes };
  } catch (error) {
    invalid(error);
  }
}

// ---------------------------------------------------------------------------------------------
// Executing changes

export interface TableChange {
  before: TableDefinition | null;
  after: TableDefinition;
}

/** Re-read, rebuild and write one table; a concurrent change to the same table makes it start over. */
async function changeTable(ctx: TablesContext, idOrName: string, actor: Actor, build: (current: TableDefinition) => TableDefinition): Promise<TableDefinition> {
  for (let attempt = 0; ; attempt++) {
    const current = await loadTable(ctx, idOrName);
    const after = build(current);
    try {
      const [written] = await runChanges(ctx, [{ before: current, after }], [], actor);
      return written;
    } catch (error) {
      if (error instanceof ConcurrentChange && attempt < 3) continue;
      throw error;
    }
  }
}

class ConcurrentChange extends Error {}

/** Versions and timestamps move only when something changed (so a repeated apply changes nothing). */
export function stamped(before: TableDefinition | null, after: TableDefinition, now: number): TableDefinition {
  if (!before) return after;
  const schemaChanged = JSON.stringify(before.schema) !== JSON.stringify(after.schema);
  const indexesChanged = JSON.stringify(before.indexes) !== JSON.stringify(after.indexes);
  const anyChange =
    schemaChanged ||
    indexesChanged ||
    before.displayName !== after.displayName ||
    before.description !== after.description ||
    JSON.stringify(before.policy) !== JSON.stringify(after.policy);
  return {
    ...after,
    schemaVersion: before.schemaVersion + (schemaChanged ? 1 : 0),
    indexVersion: before.indexVersion + (indexesChanged ? 1 : 0),
    updatedAt: anyChange ? now : before.updatedAt,
  };
}

/**
 * Apply table changes: new columns first (short, on their own), then one transaction holding every
 * metadata write, value move, index change, version row, table creation and deletion; finally the
 * columns no definition names any more are dropped. A failure in the transaction changes nothing.
 */
export async function runChanges(ctx: TablesContext, changes: TableChange[], deletions: TableDefinition[], actor: Actor): Promise<TableDefinition[]> {
  const dialect = storageDialect(ctx.dialect);
  const now = ctx.clock.now();
  const written = changes.map(({ before, after }) => stamped(before, after, now));
  for (const { before, after } of changes) {
    if (before) await addColumns(ctx.db, dialect, after.id, columnChanges(before, after).added.map((a) => a.info));
  }
  try {
    await ctx.db.transaction().execute(async (trx) => {
      for (const [i, { before }] of changes.entries()) {
        const after = written[i];
        if (!before) {
          await insertTableRow(trx, after);
          await createPhysicalTable(trx, dialect, after);
          await insertSchemaVersion(trx, after.id, 1, after.schema, actor, now);
          await insertIndexVersion(trx, after.id, 1, after.indexes, actor, now);
          continue;
        }
        const locked = await findTableByIdOrName(trx, before.id, ctx.dialect.rowLocks ? 'update' : 'none');
        if (!locked) throw new AppError('data/table-not-found', `Table "${before.name}" does not exist`);
        if (locked.updatedAt !== before.updatedAt || locked.schemaVersion !== before.schemaVersion || locked.indexVersion !== before.indexVersion) {
          throw new ConcurrentChange();
        }
        await applyPhysicalChanges(trx, dialect, before, after);
        await updateTableRow(trx, after);
        if (after.schemaVersion !== before.schemaVersion) await insertSchemaVersion(trx, after.id, after.schemaVersion, after.schema, actor, now);
        if (after.indexVersion !== before.indexVersion) await insertIndexVersion(trx, after.id, after.indexVersion, after.indexes, actor, now);
      }
      for (const def of deletions) {
        await deleteTableRow(trx, def.id);
        await dropPhysicalTable(trx, def.id);
      }
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      // The metadata name index (a table name taken meanwhile) or a new unique index over duplicate rows.
      if (String((error as Error).message).includes('data_tables')) {
        const names = changes.filter((c) => !c.before).map((c) => c.after.name);
        throw new AppError('data/table-already-exists', `Table ${names.map((n) => `"${n}"`).join(', ')} already exists`);
      }
      throw new AppError('data/duplicate-value', 'Existing rows hold duplicate values for the new unique index', undefined, { cause: error });
    }
    throw error;
  }
  for (const { before, after } of changes) {
    if (!before) continue;
    const stale = columnChanges(before, after).removed.map((r) => r.info.column);
    await dropColumns(ctx.db, after.id, stale).catch((error) => ctx.log.warn({ err: error, table: after.name }, 'could not drop an unused column; it stays unused'));
  }
  return written;
}
