import type { AppContext } from '../../context.js';

const DAY = 86_400_000;
/** How long a dynamically registered client may go without any consent before it is deleted. */
export const UNUSED_CLIENT_DAYS = 30;

/**
 * Authorization codes and refresh tokens a day past their expiry are deleted; until then a used one
 * still counts as a replay and revokes its grant (mcp.md §3.4, RFC 6749 §4.1.2, RFC 9700 §4.14), after
 * that it is simply unknown, as a session is a day after it expired. Without this every authorization
 * and every refresh left a row behind for good.
 *
 * Registration is open (RFC 7591), so a client nobody ever approved is deleted 30 days after it
 * registered, once no code of its own is left: abandoned and scripted registrations do not pile up,
 * while a client that has a grant (even a revoked one) keeps its id, so an agent that was once approved
 * can come back to the consent page with the credentials it stored. Run by the maintenance loop.
 */
export async function purgeMcpOauthTokens(ctx: Pick<AppContext, 'db' | 'clock'>): Promise<{ codes: number; refreshTokens: number; clients: number }> {
  const now = ctx.clock.now();
  const cutoff = now - DAY;
  const codes = await ctx.db.deleteFrom('mcp_oauth_codes').where('expires_at', '<', cutoff).executeTakeFirst();
  const refreshTokens = await ctx.db.deleteFrom('mcp_oauth_refresh_tokens').where('expires_at', '<', cutoff).executeTakeFirst();
  const clients = await ctx.db
    .deleteFrom('mcp_oauth_clients')
    .where('created_at', '<', now - UNUSED_CLIENT_DAYS * DAY)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('mcp_oauth_grants').select('mcp_oauth_grants.id').whereRef('mcp_oauth_grants.client_id', '=', 'mcp_oauth_clients.id'))),
    )
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('mcp_oauth_codes').select('mcp_oauth_codes.code_hash').whereRef('mcp_oauth_codes.client_id', '=', 'mcp_oauth_clients.id'))),
    )
    .executeTakeFirst();
  return { codes: Number(codes.numDeletedRows), refreshTokens: Number(refreshTokens.numDeletedRows), clients: Number(clients.numDeletedRows) };
}
