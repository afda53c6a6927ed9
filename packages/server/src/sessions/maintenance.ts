import type { AppContext } from '../context.js';
import { deleteDeadSessions, wipeSealedTokensRotatedBefore } from './queries.js';

const DAY = 86_400_000;

/**
 * Session housekeeping, run periodically by the server (and directly by tests with the clock):
 * - a sealed current token is kept only until rotated_at + reuse interval (decisions.md §2);
 * - a session is deleted a day after it expired, or 30 days after it was revoked (reuse detection
 *   means nothing for a chain that can no longer be refreshed).
 */
export async function runSessionMaintenance(ctx: Pick<AppContext, 'db' | 'clock' | 'config'>): Promise<{ wiped: number; deleted: number }> {
  const now = ctx.clock.now();
  const wiped = await wipeSealedTokensRotatedBefore(ctx.db, now - ctx.config.refreshReuseInterval * 1000);
  const deleted = await deleteDeadSessions(ctx.db, now - DAY, now - 30 * DAY);
  return { wiped, deleted };
}
