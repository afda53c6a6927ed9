export interface AuditLogTable {
  id: string;
  event: string;
  outcome: 'success' | 'failure';
  user_id: string | null;
  session_id: string | null;
  /** Who acted: 'user', 'admin', 'secret-key', 'system', 'cli'. */
  actor: string | null;
  ip: string | null;
  user_agent: string | null;
  /** JSON; never a secret (no passwords, tokens, keys). */
  details: string | null;
  created_at: number;
}

export interface AuditTables {
  audit_log: AuditLogTable;
}
