/**
 * Who is calling the MCP tools (mcp.md §3, decisions.md §7):
 * - `operator`: `npx latch mcp` over stdio, a trusted local operator with every tool;
 * - `secret-key`: the secret API key as bearer, scope `*:*` (its data scopes do not restrict management tools);
 * - `oauth`: an admin-role Latch user who consented, limited to the granted scopes;
 * - `anonymous`: no token, only when LATCH_MCP_ANONYMOUS_DOCS=true, docs tools only.
 */
export type McpPrincipal =
  | { kind: 'operator'; scopes: readonly string[] }
  | { kind: 'secret-key'; scopes: readonly string[]; keyId: string }
  | { kind: 'oauth'; scopes: readonly string[]; userId: string; clientId: string; grantId: string }
  | { kind: 'anonymous'; scopes: readonly string[] };

export const OPERATOR: McpPrincipal = { kind: 'operator', scopes: ['*:*'] };
export const ANONYMOUS: McpPrincipal = { kind: 'anonymous', scopes: [] };

/** The single implicit organization / project / environment of a deployment (decisions.md §1). */
export const IMPLICIT_ID = 'default';
