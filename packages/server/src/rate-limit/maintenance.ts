import type { AppContext } from '../context.js';

const HOUR = 3_600_000;

/**
 * Deletes the PostgreSQL store's counters that expired over an hour ago. rate-limiter-flexible would run
 * this itself on a timer per budget (clearExpiredByTimeout); Latch turns that off and runs it once for
 * the whole table from the maintenance loop. Without it the table keeps a row for every IP, address and
 * session it ever limited. The library stamps `expire` with the real clock (Date.now), not Latch's
 * clock, so the cut-off does too. The memory and Redis stores expire their own keys; on them this
 * deletes from an empty table.
 */
export async function purgeExpiredRateLimits(ctx: Pick<AppContext, 'db'>, now = Date.now()): Promise<{ deleted: number }> {
  const result = await ctx.db.deleteFrom('rate_limits').where('expire', '<', now - HOUR).executeTakeFirst();
  return { deleted: Number(result.numDeletedRows) };
}
