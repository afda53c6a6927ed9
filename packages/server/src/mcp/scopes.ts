/**
 * MCP scopes (mcp.md §3.5). A scope is `resource:action`; it is split at its LAST colon (M-11), so
 * `table:data:read` is resource `table:data`, action `read`. `*` as resource matches any resource
 * (including `table:data`), `*` as action any action; `table:*` does not cover `table:data:*`.
 */
export const SCOPES = [
  'organization:read',
  'project:read',
  'project:create',
  'project:update',
  'project:delete',
  'environment:read',
  'environment:create',
  'environment:delete',
  'table:read',
  'table:create',
  'table:update',
  'table:delete',
  'table:data:read',
  'table:data:create',
  'table:data:update',
  'table:data:delete',
  'access-token:read',
] as const;

/** The permission grid granted at consent by default (mcp.md §3.5, §3.7). */
export const DEFAULT_GRANT = [...SCOPES];

function split(scope: string): { resource: string; action: string } {
  const at = scope.lastIndexOf(':');
  return at <= 0 ? { resource: scope, action: '' } : { resource: scope.slice(0, at), action: scope.slice(at + 1) };
}

/**
 * A scope a client may request: an entry of the §3.5 grid, or a wildcard form that covers at least one
 * entry (`*:*`, `*:read`, `project:*`, `table:data:*`). A known resource with a known action outside the
 * grid (`access-token:delete`, `organization:update`, `environment:update`) is unknown: `invalid_scope`.
 */
export function isKnownScope(scope: string): boolean {
  if (!split(scope).action) return false;
  return SCOPES.some((entry) => scopeCovers(scope, entry));
}

export function scopeCovers(granted: string, required: string): boolean {
  const g = split(granted);
  const r = split(required);
  return (g.resource === '*' || g.resource === r.resource) && (g.action === '*' || g.action === r.action);
}

export function hasScope(granted: readonly string[], required: string): boolean {
  return granted.some((scope) => scopeCovers(scope, required));
}

export function parseScopeList(value: string | undefined | null): string[] {
  return [...new Set((value ?? '').split(/\s+/).filter(Boolean))];
}
