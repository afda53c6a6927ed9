import { AUDIT_INSERT, auditRow, type AuditInput } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { HotBatch } from '../db/hot-query.js';
import type { RequestMeta } from '../http/request-meta.js';
import { SESSION_INSERT } from './queries.js';
import { newSessionRow } from './sessions.js';

// A sign-in's whole write, one commit (one statement on PostgreSQL): most of a sign-in's own cost after
// the password hash is this write and the queries around it (bench/PROFILE.md).
const signInWrites = new HotBatch([
  'update users set last_sign_in_at = ?, password_hash = coalesce(?, password_hash) where id = ?',
  SESSION_INSERT.sql,
  AUDIT_INSERT.sql,
]);

/**
 * Open a session for a user who just proved who they are: records the sign-in time (and a re-hashed
 * password, when its parameters changed), the session and its audit event, all or nothing.
 */
export async function openSignedInSession(
  ctx: AppContext,
  userId: string,
  meta: RequestMeta,
  input: { audit: Omit<AuditInput, 'userId' | 'sessionId' | 'meta'>; rehashedPassword?: string },
): Promise<{ sessionId: string; refreshToken: string }> {
  const { row, refreshToken } = newSessionRow(ctx, userId, meta);
  const audit = auditRow(ctx, { ...input.audit, userId, sessionId: row.id, meta });
  await signInWrites.run(ctx.db, ctx.dialect, [
    [row.created_at, input.rehashedPassword ?? null, userId],
    SESSION_INSERT.values(row),
    AUDIT_INSERT.values(audit),
  ]);
  return { sessionId: row.id, refreshToken };
}
