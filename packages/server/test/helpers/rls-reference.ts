/**
 * An in-memory reference of the data-and-rls.md contract (§4, §5, §7.11, §7.12, decisions.md §4),
 * written independently of src/rls: it evaluates policies and filters on plain JS records, row by row,
 * the simplest way that follows the text. The property test compares the API against it.
 */
export interface Who {
  group: 'admin' | 'user' | 'guest';
  id: string | null;
  role: string | null;
}

export interface Policy {
  permissions?: Record<string, Record<string, boolean>> | null;
  expressionPermissions?: Record<string, string> | null;
  columnPermissions?: Record<string, { read?: string }> | null;
  rowFilters?: Array<{ expression: string; filter: Record<string, unknown> }> | null;
}

export type Outcome = { status: 200; items: Array<Record<string, unknown>>; total: number } | { status: number; code: string };

const BUILT_IN = ['admin', 'user', 'guest'];

/** Expressions become JS boolean expressions: `&&` binds tighter than `||`, exactly like `&` over `|`. */
export function evalExpr(expression: string, who: Who, self: boolean): boolean {
  const js = expression.replace(/role:\*|role:[A-Za-z0-9_-]+|[a-z]+|\||&/g, (token) => {
    if (token === '|') return '||';
    if (token === '&') return '&&';
    if (token === 'admin') return String(who.group === 'admin');
    if (token === 'user') return String(who.group !== 'guest');
    if (token === 'guest' || token === 'public') return 'true';
    if (token === 'self') return String(self && !!who.id);
    if (token === 'role:*') return String(who.role !== null && !BUILT_IN.includes(who.role));
    if (token.startsWith('role:')) return String(who.role === token.slice(5));
    throw new Error(`bad token ${token}`);
  });
  return new Function(`return (${js});`)() as boolean;
}

/** TRUE for every row, SELF for own rows, FALSE: by evaluating with self false and self true. */
function reduce(expression: string, who: Who): 'all' | 'own' | 'none' {
  if (evalExpr(expression, who, false)) return 'all';
  return evalExpr(expression, who, true) ? 'own' : 'none';
}

export function decide(policy: Policy, who: Who, op: string): 'all' | 'own' | 'none' {
  if (who.group === 'admin') return 'all';
  const expression = policy.expressionPermissions?.[op] ?? (op === 'list' ? policy.expressionPermissions?.read : undefined);
  if (expression !== undefined) return reduce(expression, who);
  const permissions = policy.permissions;
  const flag = (group: Record<string, boolean> | undefined) => (group?.[op] !== undefined ? group[op] : op === 'list' ? group?.read === true : false);
  if (!permissions || Object.keys(permissions).length === 0) {
    const defaults: Record<string, string[]> = { user: ['create', 'read', 'list'], guest: ['read', 'list'] };
    return defaults[who.group].includes(op) ? 'all' : 'none';
  }
  if (flag(permissions[who.group])) return 'all';
  if (op !== 'create' && who.id && flag(permissions.self)) return 'own';
  return 'none';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  return 4;
}

function valueAt(record: Record<string, unknown>, path: string): unknown {
  let value: unknown = record;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function sameScalar(a: unknown, b: unknown): boolean {
  return typeof a === typeof b && a === b;
}

function compare(a: unknown, b: string | number, op: string): boolean {
  if (typeof a !== typeof b) return false;
  const x = a as string | number;
  return op === '$gt' ? x > b : op === '$gte' ? x >= b : op === '$lt' ? x < b : x <= b;
}

function equals(value: unknown, target: unknown): boolean {
  if (target === null) return value === undefined || value === null;
  if (Array.isArray(value)) return value.some((item) => sameScalar(item, target));
  return sameScalar(value, target);
}

function condition(record: Record<string, unknown>, field: string, spec: unknown): boolean {
  const value = valueAt(record, field);
  if (spec === null || typeof spec !== 'object') return equals(value, spec);
  return Object.entries(spec as Record<string, unknown>).every(([op, arg]) => {
    switch (op) {
      case '$eq':
        return equals(value, arg);
      case '$ne':
        return !equals(value, arg);
      case '$in':
        return (arg as unknown[]).some((a) => equals(value, a));
      case '$nin':
        return !(arg as unknown[]).some((a) => equals(value, a));
      case '$exists':
        return (value !== undefined && value !== null) === arg;
      case '$regex':
        return typeof value === 'string' && regexOf(arg as string).test(value);
      default:
        return compare(value, arg as string | number, op);
    }
  });
}

export function matchesAll(record: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([field, spec]) => condition(record, field, spec));
}

function substitute(value: unknown, id: string): unknown {
  if (value === '$userId') return id;
  if (Array.isArray(value)) return value.map((v) => substitute(v, id));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, id)]));
  return value;
}

const lower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

export interface Query {
  andFilters?: Record<string, unknown>;
  orFilters?: Record<string, unknown>;
  sortBy?: string;
  sortDirection?: 'asc' | 'desc';
  search?: string;
  searchType?: string;
  page: number;
  limit: number;
}

/** §7.6 list for `who` over `rows` (full records as stored), per the contract. */
export function referenceList(policy: Policy, textFields: string[], rows: Array<Record<string, unknown>>, who: Who, query: Query): Outcome {
  const access = decide(policy, who, 'list');
  if (access === 'none') return { status: 403, code: 'data/permission-denied' };
  const readRule = (field: string) => (who.group === 'admin' || ['id', 'createdBy', 'createdAt', 'updatedAt'].includes(field) ? undefined : policy.columnPermissions?.[field]?.read);
  const readable = (field: string) => {
    const rule = readRule(field);
    if (rule === undefined) return true;
    const r = reduce(rule, who);
    return r === 'all' || (r === 'own' && access === 'own');
  };
  const used = [...Object.keys(query.andFilters ?? {}), ...Object.keys(query.orFilters ?? {}), ...(query.sortBy ? [query.sortBy] : []), ...(query.search && query.searchType ? [query.searchType] : [])].map((f) => f.split('.')[0]);
  if (used.some((f) => !readable(f))) return { status: 403, code: 'data/permission-denied' };

  const applicable = who.group === 'admin' || !policy.rowFilters?.length ? undefined : policy.rowFilters.filter((rf) => evalExpr(rf.expression, who, !!who.id));
  const keep = rows.filter((row) => {
    if (query.andFilters && !matchesAll(row, query.andFilters)) return false;
    if (query.orFilters && Object.keys(query.orFilters).length > 0 && !Object.entries(query.orFilters).some(([f, s]) => condition(row, f, s))) return false;
    if (query.search) {
      const targets = query.searchType ? [query.searchType] : textFields.filter(readable);
      if (!targets.some((f) => { const v = valueAt(row, f); return typeof v === 'string' && lower(v).includes(lower(query.search!)); })) return false;
    }
    if (access === 'own' && row.createdBy !== who.id) return false;
    if (applicable) {
      const ok = applicable.some((rf) => {
        if (JSON.stringify(rf.filter).includes('"$userId"') && !who.id) return false;
        return matchesAll(row, (who.id ? substitute(rf.filter, who.id) : rf.filter) as Record<string, unknown>);
      });
      if (!ok) return false;
    }
    return true;
  });

  const sign = query.sortDirection === 'asc' ? 1 : -1;
  keep.sort((a, b) => {
    if (query.sortBy) {
      const x = valueAt(a, query.sortBy);
      const y = valueAt(b, query.sortBy);
      const rx = typeRank(x);
      const ry = typeRank(y);
      if (rx !== ry) return (rx - ry) * sign;
      if (rx >= 1 && rx <= 3 && x !== y) return ((x as number) < (y as number) ? -1 : 1) * sign;
    }
    return ((a.id as string) < (b.id as string) ? -1 : 1) * sign;
  });

  const page = keep.slice((query.page - 1) * query.limit, query.page * query.limit).map((row) => {
    const out = { ...row };
    for (const field of Object.keys(out)) {
      const rule = readRule(field);
      if (rule !== undefined && !evalExpr(rule, who, !!who.id && row.createdBy === who.id)) delete out[field];
    }
    return out;
  });
  return { status: 200, items: page, total: keep.length };
}

/** §7.5 read of one row. */
export function referenceRead(policy: Policy, row: Record<string, unknown>, who: Who): Outcome {
  const access = decide(policy, who, 'read');
  if (access === 'none') return { status: 403, code: 'data/permission-denied' };
  if (access === 'own' && (!who.id || row.createdBy !== who.id)) return { status: 403, code: 'data/permission-denied' };
  const out = { ...row };
  for (const field of Object.keys(out)) {
    const rule = who.group === 'admin' || ['id', 'createdBy', 'createdAt', 'updatedAt'].includes(field) ? undefined : policy.columnPermissions?.[field]?.read;
    if (rule !== undefined && !evalExpr(rule, who, !!who.id && row.createdBy === who.id)) delete out[field];
  }
  return { status: 200, items: [out], total: 1 };
}

export type { Json };

/** A leading `(?i)` is RE2/PostgreSQL syntax for case-insensitive matching; JavaScript takes it as a flag. */
function regexOf(pattern: string): RegExp {
  return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'si') : new RegExp(pattern, 's');
}
