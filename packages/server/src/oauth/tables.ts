/** Row types of the oauth capability's tables (migration 0004_oauth_mfa). */
export interface OauthProvidersTable {
  provider: string;
  client_id: string | null;
  client_secret_sealed: string | null;
  redirect_uri: string | null;
  /** JSON array of strings. */
  scopes: string;
  enabled: number;
  updated_at: number;
}

export interface OauthStatesTable {
  state_hash: string;
  provider: string;
  code_verifier_sealed: string;
  nonce: string;
  redirect: string;
  redirect_uri: string;
  link_user_id: string | null;
  link_session_id: string | null;
  created_at: number;
  expires_at: number;
}

export interface OauthUsedIdTokensTable {
  token_hash: string;
  expires_at: number;
}

export interface OauthTables {
  oauth_providers: OauthProvidersTable;
  oauth_states: OauthStatesTable;
  oauth_used_id_tokens: OauthUsedIdTokensTable;
}
