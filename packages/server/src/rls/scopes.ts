import type { Operation } from './policy.js';

/**
 * API-key scopes (data-and-rls.md §2.5): `{table}:{operation}`, `*` on either side. No list (null)
 * means unrestricted. A `read` grant also covers `list` (D-20); a `list` grant does not cover `read`.
 * Table names cannot contain `:`, so a scope splits at its single colon; anything else grants nothing.
 */
export function scopeAllows(scopes: string[] | null, table: string, operation: Operation): boolean {
  if (scopes === null) return true;
  return scopes.some((scope) => {
    const parts = scope.split(':');
    if (parts.length !== 2) return false;
    const [scopeTable, scopeOperation] = parts;
    if (scopeTable !== '*' && scopeTable !== table) return false;
    return scopeOperation === '*' || scopeOperation === operation || (operation === 'list' && scopeOperation === 'read');
  });
}
