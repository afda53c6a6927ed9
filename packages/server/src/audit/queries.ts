import type { Db } from '../db/transaction.js';
import type { AuditLogTable } from './tables.js';

export function insertAuditEvent(db: Db, row: AuditLogTable) {
  return db.insertInto('audit_log').values(row).execute();
}
