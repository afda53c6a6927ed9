import { createHash } from 'node:crypto';
import { recordAudit } from '../../audit/record.js';
import type { AppContext } from '../../context.js';
import { safeEqual, sha256Hex } from '../../crypto/digest.js';
import { randomToken, uuidv7 } from '../../crypto/random.js';
import { findUserById } from '../../users/queries.js';
import { OAuthError } from './oauth-error.js';
import {
  consumeCode,
  findCode,
  findGrant,
  findRefreshToken,
  insertGrant,
  insertRefreshToken,
  revokeGrant,
  setCodeGrant,
  useRefreshToken,
} from './queries.js';

// mcp.md §3.4: access 1 hour, refresh 30 days (rotated on every use, M-16).
export const ACCESS_TTL_SECONDS = 3600;
export const REFRESH_TTL_MS = 30 * 86_400_000;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/; // RFC 7636 §4.1

export interface TokenAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

function field(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value.length > 0 && value.length <= 4096 ? value : undefined;
}

export async function exchangeToken(ctx: AppContext, body: Record<string, unknown>): Promise<TokenAnswer> {
  const grantType = field(body, 'grant_type');
  if (grantType === 'authorization_code') return exchangeCode(ctx, body);
  if (grantType === 'refresh_token') return rotateRefresh(ctx, body);
  if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
  throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
}

/**
 * Code → tokens. The code is consumed on the first attempt whatever its outcome, so a stolen code
 * cannot be retried against verifiers; a replayed code revokes what it was exchanged for
 * (RFC 6749 §4.1.2, OAuth 2.1 §4.1.3).
 */
async function exchangeCode(ctx: AppContext, body: Record<string, unknown>): Promise<TokenAnswer> {
  const code = field(body, 'code');
  const clientId = field(body, 'client_id');
  const verifier = field(body, 'code_verifier');
  const redirectUri = field(body, 'redirect_uri');
  if (!code || !clientId) throw new OAuthError('invalid_request', 'code and client_id are required');
  if (!verifier) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');
  const codeHash = sha256Hex(code);
  const row = await findCode(ctx.db, codeHash);
  const now = ctx.clock.now();
  if (!row) throw new OAuthError('invalid_grant', 'authorization code is not valid');
  if (!(await consumeCode(ctx.db, codeHash, now))) {
    const again = await findCode(ctx.db, codeHash);
    if (again?.grant_id) await revokeGrant(ctx.db, again.grant_id, 'code_reuse', now);
    await recordAudit(ctx, { event: 'mcp.code_reuse_detected', outcome: 'failure', userId: row.user_id, actor: 'client', details: { clientId } });
    throw new OAuthError('invalid_grant', 'authorization code was already used');
  }
  if (row.expires_at <= now) throw new OAuthError('invalid_grant', 'authorization code has expired');
  if (row.client_id !== clientId) throw new OAuthError('invalid_grant', 'authorization code was issued to another client');
  if (redirectUri !== undefined && redirectUri !== row.redirect_uri) throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
  if (!VERIFIER.test(verifier)) throw new OAuthError('invalid_grant', 'code_verifier is malformed');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  if (!safeEqual(challenge, row.code_challenge)) throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
  const resource = field(body, 'resource');
  if (resource !== undefined && row.resource !== null && resource !== row.resource) throw new OAuthError('invalid_target', 'resource does not match the authorization request');
  await requireOperator(ctx, row.user_id);

  const grantId = uuidv7(now);
  const refresh = randomToken(32);
  await ctx.db.transaction().execute(async (trx) => {
    await insertGrant(trx, { id: grantId, client_id: clientId, user_id: row.user_id, scope: row.scope, created_at: now, revoked_at: null, revoked_reason: null });
    await insertRefreshToken(trx, { token_hash: sha256Hex(refresh), grant_id: grantId, created_at: now, expires_at: now + REFRESH_TTL_MS, used_at: null });
    await setCodeGrant(trx, codeHash, grantId);
  });
  await recordAudit(ctx, { event: 'mcp.token_issued', userId: row.user_id, actor: 'client', details: { clientId, grantId } });
  return answer(ctx, { userId: row.user_id, grantId, clientId, scope: row.scope }, refresh);
}

/** Rotation with reuse detection (M-16): a used refresh token presented again revokes the whole grant. */
async function rotateRefresh(ctx: AppContext, body: Record<string, unknown>): Promise<TokenAnswer> {
  const token = field(body, 'refresh_token');
  const clientId = field(body, 'client_id');
  if (!token) throw new OAuthError('invalid_request', 'refresh_token is required');
  const tokenHash = sha256Hex(token);
  const row = await findRefreshToken(ctx.db, tokenHash);
  const now = ctx.clock.now();
  if (!row) throw new OAuthError('invalid_grant', 'refresh token is not valid');
  const grant = await findGrant(ctx.db, row.grant_id);
  if (!grant || grant.revoked_at !== null) throw new OAuthError('invalid_grant', 'refresh token has been revoked');
  if (clientId !== undefined && clientId !== grant.client_id) throw new OAuthError('invalid_grant', 'refresh token was issued to another client');
  if (row.used_at !== null || !(await useRefreshToken(ctx.db, tokenHash, now))) {
    await revokeGrant(ctx.db, grant.id, 'refresh_reuse', now);
    await recordAudit(ctx, { event: 'mcp.refresh_reuse_detected', outcome: 'failure', userId: grant.user_id, actor: 'client', details: { clientId: grant.client_id, grantId: grant.id } });
    throw new OAuthError('invalid_grant', 'refresh token was already used; the grant is revoked');
  }
  if (row.expires_at <= now) throw new OAuthError('invalid_grant', 'refresh token has expired');
  await requireOperator(ctx, grant.user_id);
  const refresh = randomToken(32);
  await insertRefreshToken(ctx.db, { token_hash: sha256Hex(refresh), grant_id: grant.id, created_at: now, expires_at: now + REFRESH_TTL_MS, used_at: null });
  return answer(ctx, { userId: grant.user_id, grantId: grant.id, clientId: grant.client_id, scope: grant.scope }, refresh);
}

/** The operator must still be a live, unbanned admin when tokens are issued (and on every call, see bearer.ts). */
async function requireOperator(ctx: AppContext, userId: string): Promise<void> {
  const user = await findUserById(ctx.db, userId);
  if (!user || user.deleted_at !== null || user.banned_at !== null || user.role !== 'admin') {
    throw new OAuthError('invalid_grant', 'the approving user is no longer an active admin');
  }
}

async function answer(ctx: AppContext, grant: { userId: string; grantId: string; clientId: string; scope: string }, refresh: string): Promise<TokenAnswer> {
  const accessToken = await ctx.keys.signMcpAccessToken({ ...grant, ttlSeconds: ACCESS_TTL_SECONDS });
  return { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TTL_SECONDS, refresh_token: refresh, scope: grant.scope };
}

/**
 * RFC 7009: revoking a refresh token or an MCP access token ends its whole grant. The answer is 200
 * whatever the token was, so the endpoint reveals nothing.
 */
export async function revokeToken(ctx: AppContext, body: Record<string, unknown>): Promise<void> {
  const token = field(body, 'token');
  if (!token) throw new OAuthError('invalid_request', 'token is required');
  const now = ctx.clock.now();
  const refresh = await findRefreshToken(ctx.db, sha256Hex(token));
  if (refresh) {
    await revokeGrant(ctx.db, refresh.grant_id, 'revoked', now);
    return;
  }
  try {
    const claims = await ctx.keys.verifyMcpAccessToken(token);
    await revokeGrant(ctx.db, claims.gid, 'revoked', now);
  } catch {
    // unknown or expired: nothing to revoke
  }
}
