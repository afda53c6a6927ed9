import { sql } from 'kysely';
import { AppError } from '../errors/app-error.js';
import { pagination } from '../http/schemas.js';
import { unstorableText } from '../http/validation.js';
import { FieldNameError, resolveField } from '../rls/fields.js';
import { FilterError, parseAndFilters, parseOrFilters, rowFilterPredicate, searchPredicate } from '../rls/filter.js';
import { and, FALSE, ownedBy, type FieldRef, type Predicate } from '../rls/predicate.js';
import { applicableRowFilters, columnReadResidue } from '../rls/policy.js';
import type { Requester } from '../rls/requester.js';
import { predicateToSql, sortTerms } from '../rls/to-sql.js';
import type { TableDefinition } from '../tables/definition.js';
import { checkScope, decideAccess } from './access.js';
import { cachedTable, forgetTable, rememberTable } from './table-cache.js';
import type { DataTablesTable } from './tables.js';
import { RESERVED_TABLE_NAMES } from '../tables/definition.js';
import { findTableRowByName } from '../tables/queries.js';
import { projectRecord } from './project.js';
import { countMatching, selectPage } from './queries.js';
import type { DataContext } from './records.js';
import { rowToRecord, type DataRecord } from './row-codec.js';
import { storageDialect } from './storage-dialect.js';

/** Query parameters of §7.6, as received (strings; `select` may repeat). */
export interface ListQuery {
  page?: string | number;
  limit?: string | number;
  sortBy?: string;
  sortDirection?: string;
  search?: string;
  searchType?: string;
  andFilters?: string | object;
  orFilters?: string | object;
  select?: string | string[];
}

export interface ListPlan {
  table: TableDefinition;
  predicate: Predicate;
  sort: FieldRef | null;
  direction: 'asc' | 'desc';
  page: number;
  limit: number;
  select?: Set<string>;
}

const MAX_FILTER_LENGTH = 16_384;
const MAX_PAGE = 1_000_000_000;

function invalid(message: string): AppError {
  return new AppError('data/validation-error', message);
}

/** D-23: out-of-range or non-integer paging is clamped, and the effective values are echoed. */
function clamp(value: string | number | undefined, fallback: number, max: number): number {
  const n = typeof value === 'number' ? value : value === undefined || value === '' ? NaN : Number(value);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(1, Math.floor(n)));
}

function parseJson(value: string | object | undefined, name: string): unknown {
  if (value === undefined || value === '') return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    if (value.length > MAX_FILTER_LENGTH) throw invalid(`Invalid filter format: ${name} is longer than ${MAX_FILTER_LENGTH} characters`);
    try {
      parsed = JSON.parse(value);
    } catch {
      throw invalid(`Invalid filter format: ${name} is not valid JSON`);
    }
  }
  // The request check saw only the raw text: a `\u0000` escape becomes U+0000 here, which PostgreSQL
  // refuses in any text parameter (a 500). Checked on the parsed values, keys included, like bodies.
  const path = unstorableText(parsed);
  if (path !== null) throw invalid(`Invalid filter format: ${name}${path} must not contain NUL characters or unpaired surrogates`);
  return parsed;
}

function field(table: TableDefinition, name: string, parameter: string): FieldRef {
  try {
    return resolveField(table, name);
  } catch (error) {
    if (error instanceof FieldNameError) throw invalid(`${parameter}: ${error.message}`);
    throw error;
  }
}

/**
 * The whole list request compiled into one predicate (§4.6): user query (§7.11) AND ownership (`self`)
 * AND the union of applicable row filters — all of it SQL, so `total` counts after RLS.
 */
export function planList(table: TableDefinition, access: 'all' | 'own', requester: Requester, query: ListQuery): ListPlan {
  const parts: Predicate[] = [];
  const used = new Set<string>();
  try {
    const andFilters = parseJson(query.andFilters, 'andFilters');
    if (andFilters !== undefined) {
      const parsed = parseAndFilters(table, andFilters);
      parts.push(parsed.predicate);
      parsed.fields.forEach((f) => used.add(f));
    }
    const orFilters = parseJson(query.orFilters, 'orFilters');
    if (orFilters !== undefined) {
      const parsed = parseOrFilters(table, orFilters);
      parts.push(parsed.predicate);
      parsed.fields.forEach((f) => used.add(f));
    }
  } catch (error) {
    if (error instanceof FilterError) throw invalid(error.message);
    throw error;
  }

  const direction = (query.sortDirection ?? 'desc').toLowerCase();
  if (direction !== 'asc' && direction !== 'desc') throw invalid('sortDirection must be asc or desc');
  const sort = query.sortBy ? field(table, query.sortBy, 'sortBy') : null;
  if (sort) used.add(sort.field);

  const readable = (name: string) => {
    const residue = columnReadResidue(table.policy, requester, name);
    // A field readable only on own rows is readable here when the list is own rows only anyway.
    return residue === 'all' || (residue === 'own' && access === 'own');
  };
  if (query.search) {
    if (query.search.length > 256) throw invalid('search holds at most 256 characters');
    if (query.searchType) {
      const target = field(table, query.searchType, 'searchType');
      used.add(target.field);
      parts.push(searchPredicate([target], query.search));
    } else {
      // Without searchType: every declared string field the requester may read (§4.5).
      const targets = Object.entries(table.columns)
        .filter(([name, info]) => info.storage === 'text' && readable(name))
        .map(([name]) => field(table, name, 'search'));
      parts.push(searchPredicate(targets, query.search));
    }
  }

  // D-31: filtering, sorting or searching on a field the requester cannot read would leak its values
  // (through `total` or the order), so it is refused before any query runs.
  for (const name of used) {
    if (!readable(name)) throw new AppError('data/permission-denied', `Permission denied: field "${name}" is not readable`);
  }

  if (access === 'own') parts.push(ownedBy(requester.id));
  const rowFilters = applicableRowFilters(table.policy, requester);
  if (rowFilters !== undefined) parts.push(rowFilters.length === 0 ? FALSE : rowFilterPredicate(table, rowFilters, requester.id));

  let select: Set<string> | undefined;
  if (query.select !== undefined) {
    const names = (Array.isArray(query.select) ? query.select : [query.select]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    if (names.length > 0) select = new Set(names);
  }

  return {
    table,
    predicate: and(parts),
    sort,
    direction,
    page: clamp(query.page, 1, MAX_PAGE),
    limit: clamp(query.limit, 20, 100),
    select,
  };
}

export function planSql(plan: ListPlan, ctx: Pick<DataContext, 'dialect'>) {
  const dialect = storageDialect(ctx.dialect);
  const where = predicateToSql(plan.predicate, dialect);
  // §7.12: ties are broken by id in the same direction, so pages are stable.
  const order = [...(plan.sort ? sortTerms(plan.sort, plan.direction, dialect) : []), sql`id ${sql.raw(plan.direction)}`];
  return { where, order, offset: (plan.page - 1) * plan.limit };
}

/** §7.6 list: `{ items, pagination }` with `total` counted under the final predicate. */
export async function listRecords(ctx: DataContext, requester: Requester, tableName: string, query: ListQuery) {
  checkScope(requester, tableName, 'list');
  const cached = RESERVED_TABLE_NAMES.has(tableName) ? undefined : cachedTable(ctx.db, tableName);
  let fresh: DataTablesTable | undefined;
  if (cached) {
    // One round trip on a hit: the query runs with the cached definition while the metadata row is read
    // again; the result counts only if that row is unchanged (see table-cache.ts).
    const speculative = speculate(ctx, requester, cached.table, query);
    const [row, result] = await Promise.all([findTableRowByName(ctx.db, tableName), speculative]);
    if (row && result && JSON.stringify(row) === cached.raw) return result;
    fresh = row;
    if (!row) forgetTable(ctx.db, tableName);
  } else if (!RESERVED_TABLE_NAMES.has(tableName)) {
    fresh = await findTableRowByName(ctx.db, tableName);
  }
  const table = fresh ? rememberTable(ctx.db, fresh).table : undefined;
  const { access } = decideAccess(requester, tableName, 'list', table);
  return runList(ctx, requester, planList(table!, access, requester, query));
}

/** The whole list on a cached definition, or undefined when it would fail (the fresh path decides). */
async function speculate(ctx: DataContext, requester: Requester, table: TableDefinition, query: ListQuery) {
  try {
    const { access } = decideAccess(requester, table.name, 'list', table);
    return await runList(ctx, requester, planList(table, access, requester, query));
  } catch {
    return undefined;
  }
}

async function runList(ctx: DataContext, requester: Requester, plan: ListPlan) {
  const dialect = storageDialect(ctx.dialect);
  let items: DataRecord[] = [];
  let total = 0;
  if (!(plan.predicate.kind === 'const' && !plan.predicate.value)) {
    const { where, order, offset } = planSql(plan, ctx);
    // Count and page together: on PostgreSQL they run on two pooled connections at once.
    const [count, rows] = await Promise.all([countMatching(ctx.db, plan.table, where), selectPage(ctx.db, plan.table, where, order, plan.limit, offset)]);
    total = count;
    items = rows.map((row) => projectRecord(plan.table, requester, rowToRecord(plan.table, dialect, row), plan.select));
  }
  return { items, pagination: pagination(plan.page, plan.limit, total) };
}
