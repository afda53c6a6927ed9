import type { AppContext } from '../context.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import type { Db } from '../db/transaction.js';
import { AppError } from '../errors/app-error.js';
import { isValidSegment } from '../rls/fields.js';
import { columnWriteResidue, decideOperation } from '../rls/policy.js';
import type { Requester } from '../rls/requester.js';
import { residueHolds } from '../rls/residue.js';
import { scopeAllows } from '../rls/scopes.js';
import type { TableDefinition } from '../tables/definition.js';
import { openTable } from './access.js';
import { projectRecord } from './project.js';
import { deleteRow, findRow, insertRows, updateRow, type NewRow } from './queries.js';
import { isSystemKey, rowToRecord, type DataRecord } from './row-codec.js';
import { newRowId } from './row-id.js';
import { storageDialect } from './storage-dialect.js';
import { declaredField, validateField, validateRecord, type FieldIssue } from './validate-record.js';

export type DataContext = Pick<AppContext, 'db' | 'dialect' | 'clock'>;

const MAX_BATCH = 100;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field's value, never an inherited member (a field may be named `constructor` or `toString`). */
function ownValue(record: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

function validationError(issues: FieldIssue[], prefix = ''): AppError {
  const fields = issues.map((i) => ({ field: `${prefix}${i.field}`, message: i.message }));
  return new AppError('data/validation-error', `Field "${fields[0].field}" ${fields[0].message}`, { fields });
}

/** §7.4: `$`-prefixed, dotted and empty names are refused (so are quotes and control characters). */
function checkFieldNames(body: Record<string, unknown>, prefix: string): void {
  for (const key of Object.keys(body)) {
    if (!isValidSegment(key)) {
      throw new AppError('data/validation-error', `Field name "${prefix}${key}" is not allowed (no leading $, no dots, not empty)`, { fields: [{ field: `${prefix}${key}`, message: 'is not an allowed field name' }] });
    }
  }
}

/** D-26: system fields in a body are dropped silently — except that admin may set createdBy on create (D-15). */
function withoutSystemFields(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !isSystemKey(key)));
}

/** §4.5 / §5 step 15: a body field whose `write` rule is false refuses the whole request. */
function checkColumnWrites(table: TableDefinition, requester: Requester, fields: string[], operation: 'create' | 'update', rowOwner: string | null): void {
  for (const field of fields) {
    const residue = columnWriteResidue(table.policy, requester, field, operation);
    const allowed = operation === 'create' ? residue === 'all' : residueHolds(residue, requester, rowOwner ?? '');
    if (!allowed) throw new AppError('data/permission-denied', `Permission denied: cannot write field "${field}"`);
  }
}

async function lockedTable(ctx: DataContext, trx: Db, requester: Requester, tableName: string, operation: 'create' | 'update') {
  // PostgreSQL: FOR SHARE on the metadata row, so a schema change (FOR UPDATE) waits for this write.
  return openTable(ctx, requester, tableName, operation, trx, ctx.dialect.rowLocks ? 'share' : 'none');
}

/** §7.4 create, single or batch (D-28: 1–100 objects, all or nothing, input order). */
export async function createRecords(ctx: DataContext, requester: Requester, tableName: string, body: unknown): Promise<DataRecord | DataRecord[]> {
  const batch = Array.isArray(body);
  const items = batch ? (body as unknown[]) : [body];
  if (batch && (items.length === 0 || items.length > MAX_BATCH)) {
    throw new AppError('data/validation-error', `A batch holds 1–${MAX_BATCH} records`);
  }
  const dialect = storageDialect(ctx.dialect);
  try {
    const created = await ctx.db.transaction().execute(async (trx) => {
      const { table } = await lockedTable(ctx, trx, requester, tableName, 'create');
      const now = ctx.clock.now();
      const rows: NewRow[] = [];
      for (const [i, item] of items.entries()) {
        const prefix = batch ? `[${i}].` : '';
        if (!isPlainObject(item)) throw new AppError('data/validation-error', `${batch ? `Item ${i}` : 'Body'} must be a JSON object of fields`);
        checkFieldNames(item, prefix);
        const fields = withoutSystemFields(item);
        checkColumnWrites(table, requester, Object.keys(fields), 'create', null);
        for (const [name, schema] of Object.entries(table.schema.properties)) {
          if (ownValue(fields, name) === undefined && schema.default !== undefined) fields[name] = structuredClone(schema.default);
        }
        const issues: FieldIssue[] = [];
        const validated = validateRecord(table.schema, fields, issues);
        if (issues.length > 0) throw validationError(issues, prefix);
        rows.push({ id: newRowId(now), createdBy: ownerOf(requester, item.createdBy), createdAt: now, fields: validated });
      }
      await insertRows(trx, dialect, table, rows);
      return { table, rows };
    });
    const records = created.rows.map((row) => {
      const stored = Object.fromEntries(Object.entries(row.fields).filter(([, v]) => v !== null));
      const record: DataRecord = { id: row.id, createdBy: row.createdBy, createdAt: new Date(row.createdAt).toISOString(), updatedAt: new Date(row.createdAt).toISOString(), ...stored };
      return projectRecord(created.table, requester, record);
    });
    return batch ? records : records[0];
  } catch (error) {
    throw duplicateOr(error);
  }
}

/** D-15: admin may name the owner; otherwise the requester id (the JWT user, also with the secret key), else "". */
function ownerOf(requester: Requester, given: unknown): string {
  if (requester.group === 'admin' && typeof given === 'string' && given.length <= 128) return given;
  return requester.id ?? '';
}

function duplicateOr(error: unknown): unknown {
  if (isUniqueViolation(error)) return new AppError('data/duplicate-value', 'A unique field already holds this value', undefined, { cause: error });
  return error;
}

/** §7.5 read: 404 for a missing (or malformed) id, 403 for another's row when only `self` allows it. */
export async function readRecord(ctx: DataContext, requester: Requester, tableName: string, id: string): Promise<DataRecord> {
  const { table, access } = await openTable(ctx, requester, tableName, 'read');
  const row = await findRow(ctx.db, table, id);
  if (!row) throw new AppError('data/not-found', 'Record not found');
  if (access === 'own' && !residueHolds('own', requester, row.created_by)) throw new AppError('data/permission-denied', 'Permission denied: not your record');
  return projectRecord(table, requester, rowToRecord(table, storageDialect(ctx.dialect), row));
}

/** §7.7 partial update: shallow merge, `null` clears, validation of the sent fields and `required`. */
/**
 * A caller that may update a record but not read it (a key scoped to `posts:update`, a table whose read
 * permission does not cover it) gets back the system fields and what it wrote, not the rest of the record.
 */
function mayRead(table: TableDefinition, requester: Requester, createdBy: string): boolean {
  return scopeAllows(requester.scopes, table.name, 'read') && residueHolds(decideOperation(table.policy, requester, 'read'), requester, createdBy);
}

export async function updateRecord(ctx: DataContext, requester: Requester, tableName: string, id: string, body: unknown): Promise<DataRecord> {
  if (!isPlainObject(body)) throw new AppError('data/validation-error', 'Body must be a JSON object of fields');
  const dialect = storageDialect(ctx.dialect);
  try {
    const { table, written, record } = await ctx.db.transaction().execute(async (trx) => {
      const { table, access } = await lockedTable(ctx, trx, requester, tableName, 'update');
      const row = await findRow(trx, table, id, ctx.dialect.rowLocks);
      if (!row) throw new AppError('data/not-found', 'Record not found');
      if (access === 'own' && !residueHolds('own', requester, row.created_by)) throw new AppError('data/permission-denied', 'Permission denied: not your record');
      checkFieldNames(body, '');
      const changes = withoutSystemFields(body);
      checkColumnWrites(table, requester, Object.keys(changes), 'update', row.created_by);
      const issues: FieldIssue[] = [];
      for (const [name, value] of Object.entries(changes)) {
        changes[name] = validateField(name, declaredField(table.schema.properties, name), value, issues);
      }
      const current = rowToRecord(table, dialect, row);
      const merged: Record<string, unknown> = { ...withoutSystemFields(current), ...changes };
      for (const name of table.schema.required) {
        if (ownValue(merged, name) === undefined || ownValue(merged, name) === null) issues.push({ field: name, message: 'is required' });
      }
      if (issues.length > 0) throw validationError(issues);
      // `extra` is rebuilt from the stored one, so a value kept there under a declared name (§8.6) survives
      // until that field is written; then the new column value supersedes it.
      const extra = { ...((row.extra === null || row.extra === undefined ? {} : dialect.decodeJson(row.extra)) as Record<string, unknown>) };
      for (const [key, value] of Object.entries(changes)) {
        if (Object.hasOwn(table.columns, key) || value === null || value === undefined) delete extra[key];
        else extra[key] = value;
      }
      const now = ctx.clock.now();
      await updateRow(trx, dialect, table, id, changes, Object.keys(extra).length > 0 ? extra : null, now);
      const stored = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== null && v !== undefined));
      return { table, written: Object.keys(changes), record: { ...stored, id, createdBy: current.createdBy, createdAt: current.createdAt, updatedAt: new Date(now).toISOString() } as DataRecord };
    });
    const { id: rowId, createdBy, createdAt, updatedAt, ...fields } = record;
    const ordered: DataRecord = { id: rowId, createdBy, createdAt, updatedAt, ...fields };
    if (!mayRead(table, requester, createdBy)) return projectRecord(table, requester, ordered, new Set(written));
    return projectRecord(table, requester, ordered);
  } catch (error) {
    throw duplicateOr(error);
  }
}

/** §7.8 hard delete; `{ success: true }`. */
export async function deleteRecord(ctx: DataContext, requester: Requester, tableName: string, id: string): Promise<{ success: true }> {
  return ctx.db.transaction().execute(async (trx) => {
    const { table, access } = await openTable(ctx, requester, tableName, 'delete', trx);
    const row = await findRow(trx, table, id, ctx.dialect.rowLocks);
    if (!row) throw new AppError('data/not-found', 'Record not found');
    if (access === 'own' && !residueHolds('own', requester, row.created_by)) throw new AppError('data/permission-denied', 'Permission denied: not your record');
    await deleteRow(trx, table, id);
    return { success: true as const };
  });
}
