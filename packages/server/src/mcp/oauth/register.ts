import type { AppContext } from '../../context.js';
import { randomHex } from '../../crypto/random.js';
import { OAuthError } from './oauth-error.js';
import { insertClient } from './queries.js';

const MAX_REDIRECT_URIS = 10;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * mcp.md §3.2: a redirect URI is https, or http on a loopback host for native clients (RFC 8252 §7.3);
 * no fragment (RFC 6749 §3.1.2). Matching later is exact string equality.
 */
export function checkRedirectUri(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) throw new OAuthError('invalid_redirect_uri', 'redirect_uris must be absolute URLs');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OAuthError('invalid_redirect_uri', `"${value.slice(0, 100)}" is not an absolute URL`);
  }
  if (url.hash) throw new OAuthError('invalid_redirect_uri', 'a redirect URI cannot have a fragment');
  if (url.username || url.password) throw new OAuthError('invalid_redirect_uri', 'a redirect URI cannot carry credentials');
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  if (!ok) throw new OAuthError('invalid_redirect_uri', 'redirect URIs must use https, or http on localhost/127.0.0.1/[::1]');
  return value;
}

/** RFC 7591 dynamic client registration for public clients (no secret, auth method `none`, mcp.md §3.3). */
export async function registerClient(ctx: AppContext, body: unknown) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OAuthError('invalid_client_metadata', 'body must be a JSON object');
  const input = body as Record<string, unknown>;
  const uris = input.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0 || uris.length > MAX_REDIRECT_URIS) {
    throw new OAuthError('invalid_redirect_uri', `redirect_uris must be an array of 1 to ${MAX_REDIRECT_URIS} URLs`);
  }
  const redirectUris = [...new Set(uris.map(checkRedirectUri))];
  const name = typeof input.client_name === 'string' && input.client_name.trim() ? input.client_name.trim().slice(0, 200) : 'MCP client';
  const method = input.token_endpoint_auth_method;
  if (method !== undefined && method !== 'none') throw new OAuthError('invalid_client_metadata', 'only public clients are supported: token_endpoint_auth_method must be "none"');
  const grantTypes = input.grant_types;
  if (grantTypes !== undefined && (!Array.isArray(grantTypes) || grantTypes.some((g) => g !== 'authorization_code' && g !== 'refresh_token'))) {
    throw new OAuthError('invalid_client_metadata', 'grant_types may contain only authorization_code and refresh_token');
  }
  const now = ctx.clock.now();
  const id = `dyn-${randomHex(12)}`;
  await insertClient(ctx.db, { id, name, redirect_uris: JSON.stringify(redirectUris), created_at: now });
  return {
    client_id: id,
    client_name: name,
    client_id_issued_at: Math.floor(now / 1000),
    redirect_uris: redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}
