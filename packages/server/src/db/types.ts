import type { Generated } from 'kysely';
import type { AuditTables } from '../audit/tables.js';
import type { DataTables } from '../data/tables.js';
import type { EmailFlowsTables } from '../email-flows/tables.js';
import type { McpTables } from '../mcp/tables.js';
import type { MfaTables } from '../mfa/tables.js';
import type { OauthTables } from '../oauth/tables.js';
import type { UsersTables } from '../users/tables.js';

/**
 * Row types. Times are epoch milliseconds (BIGINT) on both dialects: one comparison semantics,
 * no time-zone conversions, cheap indexes. Flags are nullable timestamps (`revoked_at`, `banned_at`).
 */
export interface UsersTable {
  id: string;
  email: string;
  email_normalized: string;
  name: string;
  nickname: string | null;
  role: string;
  email_verified_at: number | null;
  image: string | null;
  onboarding_status: string;
  password_hash: string | null;
  password_changed_at: number | null;
  mfa_enabled: number;
  banned_at: number | null;
  deleted_at: number | null;
  last_sign_in_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface AccountsTable {
  id: string;
  user_id: string;
  provider: string;
  provider_account_id: string;
  email: string | null;
  created_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  /** SHA-256 of the current refresh token (generation `refresh_generation`). */
  refresh_token_hash: string;
  /** Bumped by every rotation; earlier generations are rotated tokens (src/sessions/refresh-token.ts). */
  refresh_generation: number;
  /** The current refresh token, sealed, kept only until rotated_at + reuse interval (decisions.md §2). */
  current_token_sealed: string | null;
  rotated_at: number | null;
  user_agent: string | null;
  ip_address: string | null;
  device_info: string | null;
  org_id: string | null;
  created_at: number;
  last_activity_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  type: 'publishable' | 'secret';
  key_hash: string;
  display_prefix: string;
  scopes: string | null;
  expires_at: number | null;
  revoked_at: number | null;
  created_by: string | null;
  created_at: number;
  last_used_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk_sealed: string;
  created_at: number;
  /** When it starts signing; null = at `created_at`. */
  activates_at: number | null;
  retired_at: number | null;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface OutboxTable {
  id: string;
  to_address: string;
  subject: string;
  template: string | null;
  text_body: string;
  html_body: string | null;
  created_at: number;
}

export interface RateLimitsTable {
  key: string;
  points: Generated<number>;
  expire: number | null;
}

/** Every table: the foundation's below, each capability's in its own tables.ts. */
export interface Database extends AuditTables, EmailFlowsTables, OauthTables, MfaTables, UsersTables, DataTables, McpTables {
  users: UsersTable;
  accounts: AccountsTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  signing_keys: SigningKeysTable;
  settings: SettingsTable;
  outbox: OutboxTable;
  rate_limits: RateLimitsTable;
}
