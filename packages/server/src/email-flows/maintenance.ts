import type { AppContext } from '../context.js';
import { deleteEmailTokensExpiredBefore } from './queries.js';

const DAY = 86_400_000;

/**
 * Email tokens a day past their expiry are deleted (kept that long only so a late click still gets
 * "expired" rather than "unknown"). Run by the maintenance loop.
 */
export async function purgeEmailTokens(ctx: Pick<AppContext, 'db' | 'clock'>): Promise<{ deleted: number }> {
  return { deleted: await deleteEmailTokensExpiredBefore(ctx.db, ctx.clock.now() - DAY) };
}
