import { parseExpression, parseStoredExpression, ExpressionError, type PolicyExpression } from './expression.js';
import { evaluateExpression, type Residue } from './residue.js';
import type { Requester } from './requester.js';

export const OPERATIONS = ['create', 'read', 'update', 'delete', 'list'] as const;
export type Operation = (typeof OPERATIONS)[number];
const GROUPS = ['admin', 'user', 'guest', 'self'] as const;

export type BooleanPermissions = Partial<Record<(typeof GROUPS)[number], Partial<Record<Operation, boolean>>>>;
export type FilterObject = Record<string, unknown>;

/** The four optional policy parts of a table (data-and-rls.md §4.1), as stored. */
export interface TablePolicy {
  permissions: BooleanPermissions | null;
  expressionPermissions: Partial<Record<Operation, string>> | null;
  columnPermissions: Record<string, { read?: string; write?: string }> | null;
  rowFilters: Array<{ expression: string; filter: FilterObject }> | null;
}

export class PolicyError extends Error {}

// §4.2: the defaults, used only while a table has no `permissions` at all.
const DEFAULTS: Record<'user' | 'guest', Partial<Record<Operation, boolean>>> = {
  user: { create: true, read: true, list: true },
  guest: { read: true, list: true },
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: object | null | undefined): boolean {
  return !value || Object.keys(value).length === 0;
}

/** §4.7 / D-39: a system table is "configured" once boolean or expression permissions are non-empty. */
export function hasConfiguredPermissions(policy: TablePolicy): boolean {
  return !isEmpty(policy.permissions) || !isEmpty(policy.expressionPermissions);
}

/**
 * §4.2 + §4.4 decision for a non-admin requester: `all` rows, `own` rows (via `self`), or `none` (403).
 * Admin is never restricted. Per operation (D-7): an expression for the op (list falls back to read)
 * wins; otherwise the boolean group flag, then the `self` flag.
 */
export function decideOperation(policy: TablePolicy, requester: Requester, operation: Operation): Residue {
  if (requester.group === 'admin') return 'all';
  const source = policy.expressionPermissions?.[operation] ?? (operation === 'list' ? policy.expressionPermissions?.read : undefined);
  if (typeof source === 'string') {
    // D-8: on create, `self` means "has an id" (the new row will be theirs).
    return evaluateExpression(parseStoredExpression(source), requester, operation === 'create' ? 'has-id' : 'row');
  }
  const permissions = policy.permissions;
  if (isEmpty(permissions)) return flag(DEFAULTS[requester.group], operation) ? 'all' : 'none';
  if (flag(permissions![requester.group], operation)) return 'all';
  // `self` has no create flag (§4.3): nothing exists yet to own.
  if (operation !== 'create' && requester.id && flag(permissions!.self, operation)) return 'own';
  return 'none';
}

/** D-5: a missing group or flag is false, except that a missing `list` takes the group's `read`. */
function flag(group: Partial<Record<Operation, boolean>> | undefined, operation: Operation): boolean {
  const value = group?.[operation];
  if (value !== undefined) return value === true;
  return operation === 'list' && group?.read === true;
}

const SYSTEM_FIELDS = new Set(['id', 'createdBy', 'createdAt', 'updatedAt']);

/** The `columnPermissions` entry of a field (own entries only: a field may be named `constructor`). */
function columnRule(policy: TablePolicy, field: string): { read?: string; write?: string } | undefined {
  const rules = policy.columnPermissions;
  return rules && Object.hasOwn(rules, field) ? rules[field] : undefined;
}

/** §4.5: the read residue of one field; system fields and fields without a `read` entry inherit the table. */
export function columnReadResidue(policy: TablePolicy, requester: Requester, field: string): Residue {
  if (requester.group === 'admin' || SYSTEM_FIELDS.has(field)) return 'all';
  const source = columnRule(policy, field)?.read;
  return typeof source === 'string' ? evaluateExpression(parseStoredExpression(source), requester, 'row') : 'all';
}

/** §4.5: the write residue of one field; on create `self` counts as true for authenticated requesters. */
export function columnWriteResidue(policy: TablePolicy, requester: Requester, field: string, operation: 'create' | 'update'): Residue {
  if (requester.group === 'admin') return 'all';
  const source = columnRule(policy, field)?.write;
  if (typeof source !== 'string') return 'all';
  return evaluateExpression(parseStoredExpression(source), requester, operation === 'create' ? 'has-id' : 'row');
}

/** Every column with a `read` entry (the only fields that may be hidden). */
export function fieldsWithReadRules(policy: TablePolicy): string[] {
  return Object.entries(policy.columnPermissions ?? {})
    .filter(([field, entry]) => typeof entry.read === 'string' && !SYSTEM_FIELDS.has(field))
    .map(([field]) => field);
}

/**
 * §4.6: row filters whose expression holds for the requester (`self` = "has an id", D-11).
 * `undefined` = no row filters configured; `[]` = configured but none applies (fail-closed, D-10).
 */
export function applicableRowFilters(policy: TablePolicy, requester: Requester): FilterObject[] | undefined {
  if (requester.group === 'admin' || !policy.rowFilters || policy.rowFilters.length === 0) return undefined;
  return policy.rowFilters
    .filter((entry) => evaluateExpression(parseStoredExpression(entry.expression), requester, 'has-id') === 'all')
    .map((entry) => entry.filter);
}

/**
 * Checks a policy before it is saved (§4.4: unknown atoms and syntax errors are refused when saved).
 * Filters inside row filters are checked by the caller, which knows the table's fields.
 */
export function validatePolicy(input: Partial<Record<keyof TablePolicy, unknown>>): Partial<TablePolicy> {
  const out: Partial<TablePolicy> = {};
  if ('permissions' in input) out.permissions = validatePermissions(input.permissions);
  if ('expressionPermissions' in input) out.expressionPermissions = validateExpressionPermissions(input.expressionPermissions);
  if ('columnPermissions' in input) out.columnPermissions = validateColumnPermissions(input.columnPermissions);
  if ('rowFilters' in input) out.rowFilters = validateRowFilters(input.rowFilters);
  return out;
}

function checkExpression(source: unknown, where: string): PolicyExpression {
  if (typeof source !== 'string') throw new PolicyError(`${where} must be an expression string`);
  try {
    return parseExpression(source);
  } catch (error) {
    if (error instanceof ExpressionError) throw new PolicyError(`${where}: ${error.message}`);
    throw error;
  }
}

function validatePermissions(value: unknown): BooleanPermissions | null {
  if (value === null || value === undefined) return null;
  if (!isPlainObject(value)) throw new PolicyError('permissions must be an object of groups');
  const out: BooleanPermissions = {};
  for (const [group, flags] of Object.entries(value)) {
    if (!(GROUPS as readonly string[]).includes(group)) throw new PolicyError(`permissions.${group}: unknown group (expected admin, user, guest or self)`);
    if (!isPlainObject(flags)) throw new PolicyError(`permissions.${group} must be an object of operations`);
    const groupFlags: Partial<Record<Operation, boolean>> = {};
    for (const [operation, allowed] of Object.entries(flags)) {
      if (!(OPERATIONS as readonly string[]).includes(operation)) throw new PolicyError(`permissions.${group}.${operation}: unknown operation`);
      if (typeof allowed !== 'boolean') throw new PolicyError(`permissions.${group}.${operation} must be true or false`);
      groupFlags[operation as Operation] = allowed;
    }
    out[group as keyof BooleanPermissions] = groupFlags;
  }
  return out;
}

function validateExpressionPermissions(value: unknown): TablePolicy['expressionPermissions'] {
  if (value === null || value === undefined) return null;
  if (!isPlainObject(value)) throw new PolicyError('expressionPermissions must be an object of operations');
  const out: Partial<Record<Operation, string>> = {};
  for (const [operation, source] of Object.entries(value)) {
    if (!(OPERATIONS as readonly string[]).includes(operation)) throw new PolicyError(`expressionPermissions.${operation}: unknown operation`);
    checkExpression(source, `expressionPermissions.${operation}`);
    out[operation as Operation] = (source as string).trim();
  }
  return out;
}

function validateColumnPermissions(value: unknown): TablePolicy['columnPermissions'] {
  if (value === null || value === undefined) return null;
  if (!isPlainObject(value)) throw new PolicyError('columnPermissions must be an object of fields');
  const out: Record<string, { read?: string; write?: string }> = {};
  for (const [field, entry] of Object.entries(value)) {
    if (!isPlainObject(entry)) throw new PolicyError(`columnPermissions.${field} must be { read?, write? }`);
    const rule: { read?: string; write?: string } = {};
    for (const [kind, source] of Object.entries(entry)) {
      if (kind !== 'read' && kind !== 'write') throw new PolicyError(`columnPermissions.${field}.${kind}: expected read or write`);
      checkExpression(source, `columnPermissions.${field}.${kind}`);
      rule[kind] = (source as string).trim();
    }
    out[field] = rule;
  }
  return out;
}

function validateRowFilters(value: unknown): TablePolicy['rowFilters'] {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value)) throw new PolicyError('rowFilters must be an array of { expression, filter }');
  if (value.length > 50) throw new PolicyError('rowFilters takes at most 50 entries');
  return value.map((entry, i) => {
    if (!isPlainObject(entry)) throw new PolicyError(`rowFilters[${i}] must be { expression, filter }`);
    checkExpression(entry.expression, `rowFilters[${i}].expression`);
    if (!isPlainObject(entry.filter)) throw new PolicyError(`rowFilters[${i}].filter must be an object (andFilters syntax)`);
    return { expression: (entry.expression as string).trim(), filter: entry.filter };
  });
}
