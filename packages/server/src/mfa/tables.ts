import type { Generated } from 'kysely';

/** Row types of the mfa capability's tables (migration 0004_oauth_mfa). */
export interface MfaTotpTable {
  user_id: string;
  secret_sealed: string;
  status: 'pending' | 'active';
  pending_codes_sealed: string | null;
  pending_expires_at: number | null;
  last_used_step: number | null;
  created_at: number;
  confirmed_at: number | null;
}

export interface MfaBackupCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface MfaChallengesTable {
  token_hash: string;
  user_id: string;
  flow: string;
  /** JSON: what to finish once the code is right (e.g. the magic-link token hash). */
  pending: string;
  attempts: Generated<number>;
  created_at: number;
  expires_at: number;
}

export interface MfaTables {
  mfa_totp: MfaTotpTable;
  mfa_backup_codes: MfaBackupCodesTable;
  mfa_challenges: MfaChallengesTable;
}
