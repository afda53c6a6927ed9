import type { AppContext } from '../context.js';
import { uuidv7 } from '../crypto/random.js';
import { columnsOf, HotInsert } from '../db/hot-query.js';
import type { Db } from '../db/transaction.js';
import type { RequestMeta } from '../http/request-meta.js';
import { insertAuditEvent } from './queries.js';
import type { AuditLogTable } from './tables.js';

/** `noun.verb` events of decisions.md §6. */
export type AuditEvent =
  | 'user.signed_up'
  | 'user.signed_in'
  | 'user.sign_in_failed'
  | 'session.refresh_reuse_detected'
  | 'session.revoked'
  | 'password.changed'
  | 'password.reset'
  | 'email.verified'
  | 'magic_link.used'
  | 'api_key.created'
  | 'api_key.revoked'
  | (string & {});

export interface AuditInput {
  event: AuditEvent;
  outcome?: 'success' | 'failure';
  userId?: string | null;
  sessionId?: string | null;
  actor?: string | null;
  meta?: Partial<RequestMeta>;
  /** Structured, secret-free detail (reason, count, provider…). */
  details?: Record<string, unknown>;
}

/**
 * Append one security event (ASVS 7.2). Pass a transaction to make it part of the action's write;
 * without one, a failure to record is logged and never fails the user's request.
 */
export async function recordAudit(ctx: Pick<AppContext, 'db' | 'clock' | 'log'>, input: AuditInput, db?: Db): Promise<void> {
  const write = insertAuditEvent(db ?? ctx.db, auditRow(ctx, input));
  if (db) {
    await write;
    return;
  }
  await write.catch((error) => ctx.log.error({ err: error, event: input.event }, 'could not record audit event'));
}

/** A whole `audit_log` row (`auditRow`), for the sign-up and sign-in batches. */
export const AUDIT_INSERT = new HotInsert<AuditLogTable>('audit_log', columnsOf<AuditLogTable>({
  id: true, event: true, outcome: true, user_id: true, session_id: true, actor: true, ip: true, user_agent: true, details: true, created_at: true,
}));

/** The row `recordAudit` writes, for callers that batch it with their own writes. */
export function auditRow(ctx: Pick<AppContext, 'clock'>, input: AuditInput): AuditLogTable {
  const now = ctx.clock.now();
  return {
    id: uuidv7(now),
    event: input.event,
    outcome: input.outcome ?? 'success',
    user_id: input.userId ?? null,
    session_id: input.sessionId ?? null,
    actor: input.actor ?? null,
    ip: input.meta?.ip ?? null,
    user_agent: input.meta?.userAgent ?? null,
    details: input.details ? JSON.stringify(input.details) : null,
    created_at: now,
  };
}
