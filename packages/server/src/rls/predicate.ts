import type { CompareOp, Scalar } from '../data/storage-dialect.js';

/**
 * A resolved operand: a typed column (system fields and declared scalar fields), a path into a JSON
 * column (undeclared fields live in `extra`; declared object/array fields are JSON), or a name that
 * cannot hold a value (e.g. `id.x`), which behaves as an absent field (§7.11).
 */
export type FieldRef =
  | { kind: 'column'; field: string; column: string; storage: 'text' | 'date' | 'number' | 'bool' | 'millis'; nullable: boolean }
  | { kind: 'json'; field: string; column: string; path: string[] }
  | { kind: 'absent'; field: string };

/** The tree every filter, search, ownership rule and row filter compiles to, before it becomes SQL. */
export type Predicate =
  | { kind: 'const'; value: boolean }
  | { kind: 'and' | 'or'; items: Predicate[] }
  | { kind: 'not'; item: Predicate }
  | { kind: 'compare'; field: FieldRef; op: CompareOp; value: Scalar }
  | { kind: 'present'; field: FieldRef }
  | { kind: 'regex'; field: FieldRef; pattern: string }
  | { kind: 'search'; field: FieldRef; term: string };

export const TRUE: Predicate = { kind: 'const', value: true };
export const FALSE: Predicate = { kind: 'const', value: false };

export function and(items: Predicate[]): Predicate {
  const kept: Predicate[] = [];
  for (const item of items) {
    if (item.kind === 'const') {
      if (!item.value) return FALSE;
      continue;
    }
    if (item.kind === 'and') kept.push(...item.items);
    else kept.push(item);
  }
  if (kept.length === 0) return TRUE;
  return kept.length === 1 ? kept[0] : { kind: 'and', items: kept };
}

export function or(items: Predicate[]): Predicate {
  const kept: Predicate[] = [];
  for (const item of items) {
    if (item.kind === 'const') {
      if (item.value) return TRUE;
      continue;
    }
    if (item.kind === 'or') kept.push(...item.items);
    else kept.push(item);
  }
  if (kept.length === 0) return FALSE;
  return kept.length === 1 ? kept[0] : { kind: 'or', items: kept };
}

export function not(item: Predicate): Predicate {
  if (item.kind === 'const') return { kind: 'const', value: !item.value };
  if (item.kind === 'not') return item.item;
  return { kind: 'not', item };
}

/** The ownership condition of `self` (§4.3): createdBy equals a non-empty requester id. */
export function ownedBy(requesterId: string | null): Predicate {
  if (!requesterId) return FALSE; // "" never matches anything, not even guest rows with createdBy ""
  return { kind: 'compare', field: { kind: 'column', field: 'createdBy', column: 'created_by', storage: 'text', nullable: false }, op: '=', value: requesterId };
}
