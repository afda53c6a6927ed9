import type { AppContext } from '../context.js';
import { deleteAuditEventsBefore } from './queries.js';

const DAY = 86_400_000;
const BATCH = 5_000;

/**
 * LATCH_AUDIT_RETENTION_DAYS (decisions.md §6, ASVS 7.1 retention): events older than the window are
 * deleted. Run periodically by the server's maintenance loop and directly by tests with the clock.
 */
export async function purgeAuditLog(ctx: Pick<AppContext, 'db' | 'clock' | 'config'>): Promise<{ deleted: number }> {
  const before = ctx.clock.now() - ctx.config.audit.retentionDays * DAY;
  let deleted = 0;
  for (;;) {
    const n = await deleteAuditEventsBefore(ctx.db, before, BATCH);
    deleted += n;
    if (n < BATCH) return { deleted };
  }
}
