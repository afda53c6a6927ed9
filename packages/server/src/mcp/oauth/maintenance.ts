import type { AppContext } from '../../context.js';

const DAY = 86_400_000;

/**
 * Authorization codes and refresh tokens a day past their expiry are deleted; until then a used one
 * still counts as a replay and revokes its grant (mcp.md §3.4, RFC 6749 §4.1.2, RFC 9700 §4.14), after
 * that it is simply unknown, as a session is a day after it expired. Without this every authorization
 * and every refresh left a row behind for good. Run by the maintenance loop.
 */
export async function purgeMcpOauthTokens(ctx: Pick<AppContext, 'db' | 'clock'>): Promise<{ codes: number; refreshTokens: number }> {
  const cutoff = ctx.clock.now() - DAY;
  const codes = await ctx.db.deleteFrom('mcp_oauth_codes').where('expires_at', '<', cutoff).executeTakeFirst();
  const refreshTokens = await ctx.db.deleteFrom('mcp_oauth_refresh_tokens').where('expires_at', '<', cutoff).executeTakeFirst();
  return { codes: Number(codes.numDeletedRows), refreshTokens: Number(refreshTokens.numDeletedRows) };
}
