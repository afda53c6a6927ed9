import type { Db } from '../db/transaction.js';
import type { AuditLogTable } from './tables.js';

export function insertAuditEvent(db: Db, row: AuditLogTable) {
  return db.insertInto('audit_log').values(row).execute();
}

export interface AuditFilter {
  userId?: string;
  event?: string;
  /** Inclusive, epoch ms. */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
}

function filtered(db: Db, filter: AuditFilter) {
  let select = db.selectFrom('audit_log');
  if (filter.userId !== undefined) select = select.where('user_id', '=', filter.userId);
  if (filter.event !== undefined) select = select.where('event', '=', filter.event);
  if (filter.from !== undefined) select = select.where('created_at', '>=', filter.from);
  if (filter.to !== undefined) select = select.where('created_at', '<', filter.to);
  return select;
}

/** Newest first (decisions.md §6); ids are UUIDv7, so they break ties in time order. */
export function listAuditEvents(db: Db, filter: AuditFilter, limit: number, offset: number) {
  return filtered(db, filter).selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
}

export async function countAuditEvents(db: Db, filter: AuditFilter): Promise<number> {
  const row = await filtered(db, filter).select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Retention: drop events older than `before`, in bounded batches so a large purge never holds long locks. */
export async function deleteAuditEventsBefore(db: Db, before: number, batch: number): Promise<number> {
  const ids = await db.selectFrom('audit_log').select('id').where('created_at', '<', before).orderBy('created_at').limit(batch).execute();
  if (ids.length === 0) return 0;
  const result = await db.deleteFrom('audit_log').where('id', 'in', ids.map((r) => r.id)).executeTakeFirst();
  return Number(result.numDeletedRows);
}

// ---- the dev mailer's outbox (decisions.md §6), read and emptied by operators ----

export function listOutbox(db: Db, to: string | undefined, limit: number, offset: number) {
  let select = db.selectFrom('outbox').selectAll();
  if (to !== undefined) select = select.where((eb) => eb(eb.fn('lower', ['to_address']), '=', to.toLowerCase()));
  return select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
}

export async function countOutbox(db: Db, to: string | undefined): Promise<number> {
  let select = db.selectFrom('outbox');
  if (to !== undefined) select = select.where((eb) => eb(eb.fn('lower', ['to_address']), '=', to.toLowerCase()));
  const row = await select.select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function deleteOutbox(db: Db): Promise<number> {
  const result = await db.deleteFrom('outbox').executeTakeFirst();
  return Number(result.numDeletedRows);
}
