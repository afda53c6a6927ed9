import type { FastifyRequest } from 'fastify';
import { scopedKeyRefusal, verifyApiKey } from '../api-keys/api-keys.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { findUserById } from '../users/queries.js';
import { findGrant } from './oauth/queries.js';
import { ANONYMOUS, type McpPrincipal } from './principal.js';
import { parseScopeList } from './scopes.js';

/**
 * The caller of /mcp (mcp.md §3, decisions.md §7). Bearer tokens only in the Authorization header
 * (§3.2): the secret API key (scope `*:*`), or an MCP access token (`typ: "mcp+at"`) whose grant is
 * live and whose user is still an unbanned admin. /v1 access tokens fail verification (other `aud`
 * and `typ`), as do publishable keys. No header: anonymous docs access when configured, else 401.
 */
export async function authenticateMcp(ctx: AppContext, request: FastifyRequest): Promise<McpPrincipal> {
  const header = request.headers.authorization;
  if (header === undefined) {
    if (ctx.config.mcpAnonymousDocs) return ANONYMOUS;
    throw new AppError('auth/unauthorized', 'Authorization: Bearer <token> is required');
  }
  const match = /^Bearer +([^\s]+)$/i.exec(header);
  if (!match) throw new AppError('auth/unauthorized', 'Authorization header must be "Bearer <token>"');
  const token = match[1];
  if (/^(sk|pk)_/.test(token)) {
    const key = await verifyApiKey(ctx, token);
    if (key.type !== 'secret') throw new AppError('auth/invalid-token', 'Only the secret key or an MCP access token is accepted here');
    // MCP gives the secret key every tool (`*:*`): a key its operator limited to some tables is not that key.
    const refusal = scopedKeyRefusal(key, 'auth', 'MCP needs a secret key without scopes or an MCP access token');
    if (refusal) throw refusal;
    return { kind: 'secret-key', scopes: ['*:*'], keyId: key.id };
  }
  const claims = await ctx.keys.verifyMcpAccessToken(token);
  const grant = await findGrant(ctx.db, claims.gid);
  if (!grant || grant.revoked_at !== null || grant.user_id !== claims.sub) throw new AppError('auth/invalid-token', 'Access token has been revoked');
  const user = await findUserById(ctx.db, claims.sub);
  if (!user || user.deleted_at !== null || user.banned_at !== null || user.role !== 'admin') {
    throw new AppError('auth/invalid-token', 'The approving user is no longer an active admin');
  }
  return { kind: 'oauth', scopes: parseScopeList(claims.scope), userId: claims.sub, clientId: claims.client_id, grantId: grant.id };
}
