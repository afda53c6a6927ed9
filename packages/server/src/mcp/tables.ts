/** Row types of the MCP OAuth tables (db/migrations/0007_mcp_oauth.ts). Times are epoch milliseconds. */
export interface McpOauthClientsTable {
  id: string;
  name: string;
  /** JSON array of exact redirect URIs (mcp.md §3.2). */
  redirect_uris: string;
  created_at: number;
}

export interface McpOauthGrantsTable {
  id: string;
  client_id: string;
  user_id: string;
  /** Space-separated scopes granted at consent (mcp.md §3.5). */
  scope: string;
  created_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

export interface McpOauthCodesTable {
  code_hash: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  code_challenge: string;
  scope: string;
  resource: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  grant_id: string | null;
}

export interface McpOauthRefreshTokensTable {
  token_hash: string;
  grant_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface McpTables {
  mcp_oauth_clients: McpOauthClientsTable;
  mcp_oauth_grants: McpOauthGrantsTable;
  mcp_oauth_codes: McpOauthCodesTable;
  mcp_oauth_refresh_tokens: McpOauthRefreshTokensTable;
}
