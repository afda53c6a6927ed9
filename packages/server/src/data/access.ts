import type { AppContext } from '../context.js';
import type { Db } from '../db/transaction.js';
import { AppError } from '../errors/app-error.js';
import { decideOperation, hasConfiguredPermissions, type Operation } from '../rls/policy.js';
import type { Requester } from '../rls/requester.js';
import type { Residue } from '../rls/residue.js';
import { scopeAllows } from '../rls/scopes.js';
import { RESERVED_TABLE_NAMES, type TableDefinition } from '../tables/definition.js';
import { findTableByName } from '../tables/queries.js';

export interface OpenedTable {
  table: TableDefinition;
  /** `all` rows, or `own` rows only (via `self`); `none` never gets here (403). */
  access: Exclude<Residue, 'none'>;
}

// D-16: the platform's own tables. Not data tables; never reachable through the Data API.
const BUILT_IN = new Set(['users', 'accounts', 'sessions', 'files']);

/**
 * data-and-rls.md §5 steps 8–12 for one request: scope (before the admin bypass), table, admin bypass,
 * system table, operation decision. Steps 1–7 (key, JWT, rate limit) ran before the handler.
 */
export async function openTable(ctx: Pick<AppContext, 'db'>, requester: Requester, tableName: string, operation: Operation, db: Db = ctx.db, lock: 'none' | 'share' = 'none'): Promise<OpenedTable> {
  checkScope(requester, tableName, operation);
  const table = RESERVED_TABLE_NAMES.has(tableName) ? undefined : await findTableByName(db, tableName, lock);
  return decideAccess(requester, tableName, operation, table);
}

/** Step 8: API-key scopes apply to everyone, admin included, before the table is even looked up. */
export function checkScope(requester: Requester, tableName: string, operation: Operation): void {
  if (!scopeAllows(requester.scopes, tableName, operation)) {
    throw new AppError('data/scope-insufficient', `API Key scope does not include ${tableName}:${operation}`);
  }
}

/** Steps 9–12 on a loaded (or missing) table definition; pure. */
export function decideAccess(requester: Requester, tableName: string, operation: Operation, table: TableDefinition | undefined): OpenedTable {
  if (!table) {
    // Built-in tables are system tables (D-16): a non-admin learns nothing more than "system table".
    if (BUILT_IN.has(tableName) && requester.group !== 'admin') throw new AppError('data/system-table-access', `"${tableName}" is a system table`);
    throw new AppError('data/table-not-found', `Table "${tableName}" does not exist`);
  }
  if (requester.group === 'admin') return { table, access: 'all' };
  // §4.7: a `_` table without permissions is closed to everyone but admin.
  if (table.name.startsWith('_') && !hasConfiguredPermissions(table.policy)) {
    throw new AppError('data/system-table-access', `"${tableName}" is a system table`);
  }
  const access = decideOperation(table.policy, requester, operation);
  if (access === 'none') throw new AppError('data/permission-denied', `Permission denied: ${operation} on ${tableName}`);
  return { table, access };
}
