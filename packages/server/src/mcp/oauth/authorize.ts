import { recordAudit } from '../../audit/record.js';
import type { AppContext } from '../../context.js';
import { sha256Hex } from '../../crypto/digest.js';
import { randomToken } from '../../crypto/random.js';
import type { UsersTable } from '../../db/types.js';
import { AppError, isAppError } from '../../errors/app-error.js';
import type { RequestMeta } from '../../http/request-meta.js';
import { parseEmail } from '../../auth/email-address.js';
import { forgiveSignInAttempt } from '../../auth/sign-in.js';
import { requireSecondFactor } from '../../mfa/guard.js';
import { findLiveUserByEmail } from '../../users/queries.js';
import { DEFAULT_GRANT, isKnownScope, parseScopeList } from '../scopes.js';
import { issuerOf, resourceOf } from './metadata.js';
import { OAuthError } from './oauth-error.js';
import { findClient, insertCode } from './queries.js';

export const CODE_TTL_MS = 10 * 60_000; // mcp.md §3.4
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/; // base64url(SHA-256), RFC 7636 §4.2

export interface AuthorizeParams {
  response_type?: string;
  client_id?: string;
  redirect_uri?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  state?: string;
  scope?: string;
  resource?: string;
}

export interface ValidAuthorize {
  client: { id: string; name: string };
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  state?: string;
  resource?: string;
}

/** A problem that must not be sent to the redirect URI (unknown client, unregistered URI: RFC 6749 §4.1.2.1). */
export class FatalAuthorizeError extends Error {}

/**
 * A problem reported to the client as `redirect_uri?error=…&state=…`, once client and redirect URI are
 * known. Every client registered itself (open DCR), so the URI is untrusted and the visitor is not yet
 * authenticated: routes.ts shows an error page with a plain link to it, never a 302 (RFC 9700 §4.11.2).
 */
export class RedirectAuthorizeError extends Error {
  constructor(readonly redirectUri: string, readonly oauth: OAuthError, readonly state?: string) {
    super(oauth.description);
  }
}

export function pick(source: Record<string, unknown>): AuthorizeParams {
  const out: Record<string, string> = {};
  for (const key of ['response_type', 'client_id', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'state', 'scope', 'resource']) {
    const value = source[key];
    if (typeof value === 'string' && value.length <= 4096) out[key] = value;
  }
  return out;
}

/** Validation order of RFC 6749 §4.1.2.1: client and redirect URI first, then the rest (by redirect). */
export async function validateAuthorize(ctx: AppContext, params: AuthorizeParams): Promise<ValidAuthorize> {
  if (!params.client_id) throw new FatalAuthorizeError('client_id is missing');
  const client = await findClient(ctx.db, params.client_id);
  if (!client) throw new FatalAuthorizeError('This application is not registered with this Latch (unknown client_id)');
  const registered = JSON.parse(client.redirect_uris) as string[];
  const redirectUri = params.redirect_uri ?? (registered.length === 1 ? registered[0] : undefined);
  if (!redirectUri || !registered.includes(redirectUri)) throw new FatalAuthorizeError('redirect_uri does not exactly match a URI registered by this application');

  const fail = (error: OAuthError) => new RedirectAuthorizeError(redirectUri, error, params.state);
  if (params.response_type !== 'code') throw fail(new OAuthError('unsupported_response_type', 'response_type must be "code"'));
  // PKCE is mandatory and S256 only (mcp.md §3.2; OAuth 2.1 §4.1.1): `plain` or no challenge is refused.
  if (!params.code_challenge) throw fail(new OAuthError('invalid_request', 'code_challenge is required (PKCE)'));
  if (params.code_challenge_method !== 'S256') throw fail(new OAuthError('invalid_request', 'code_challenge_method must be S256'));
  if (!CHALLENGE.test(params.code_challenge)) throw fail(new OAuthError('invalid_request', 'code_challenge must be a base64url SHA-256 value'));
  const requested = parseScopeList(params.scope);
  const unknown = requested.filter((scope) => !isKnownScope(scope));
  if (unknown.length) throw fail(new OAuthError('invalid_scope', `unknown scope: ${unknown.join(' ').slice(0, 200)}`));
  // RFC 8707: the only resource this server issues tokens for is its MCP endpoint.
  if (params.resource !== undefined && params.resource.replace(/\/$/, '') !== resourceOf(ctx)) {
    throw fail(new OAuthError('invalid_target', `resource must be ${resourceOf(ctx)}`));
  }
  return {
    client: { id: client.id, name: client.name },
    redirectUri,
    codeChallenge: params.code_challenge,
    scopes: requested.length ? requested : DEFAULT_GRANT,
    state: params.state,
    resource: params.resource,
  };
}

export function redirectWith(redirectUri: string, values: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(values)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

export type ConsentOutcome =
  | { kind: 'redirect'; location: string }
  | { kind: 'denied'; link: string }
  | { kind: 'retry'; status: number; message: string; askMfa?: boolean };

/**
 * The consent form's POST: the operator signs in as an admin-role Latch user (mcp.md §9, decisions.md §7)
 * with the same password check, throttles and MFA gate as A02; only then is a code issued.
 */
export async function decideConsent(
  ctx: AppContext,
  valid: ValidAuthorize,
  form: { decision?: string; email?: string; password?: string; mfaCode?: string },
  meta: RequestMeta,
): Promise<ConsentOutcome> {
  if (form.decision !== 'approve') {
    // "Deny" needs no sign-in, so it must not redirect either (RFC 9700 §4.11.2): a cross-site POST
    // would bounce the visitor to a self-registered URI. Latch's page offers a plain link back.
    return { kind: 'denied', link: redirectWith(valid.redirectUri, { error: 'access_denied', error_description: 'The operator denied access', state: valid.state, iss: issuerOf(ctx) }) };
  }
  let user: UsersTable;
  try {
    user = await checkOperator(ctx, form.email ?? '', form.password ?? '', meta);
    await requireSecondFactor(ctx, user, { flow: 'password', mfaCode: form.mfaCode || undefined });
  } catch (error) {
    if (!isAppError(error)) throw error;
    if (error.code === 'auth/mfa-required') return { kind: 'retry', status: 401, message: 'Enter the code from your authenticator app.', askMfa: true };
    if (error.code === 'auth/invalid-mfa-code') return { kind: 'retry', status: 401, message: 'That code is not valid.', askMfa: true };
    if (error.code === 'auth/forbidden') return { kind: 'retry', status: 403, message: error.message };
    if (error.statusCode === 429) return { kind: 'retry', status: 429, message: 'Too many attempts. Wait a few minutes and try again.' };
    return { kind: 'retry', status: 401, message: 'Email or password is incorrect.' };
  }
  const code = randomToken(32);
  const now = ctx.clock.now();
  await insertCode(ctx.db, {
    code_hash: sha256Hex(code),
    client_id: valid.client.id,
    user_id: user.id,
    redirect_uri: valid.redirectUri,
    code_challenge: valid.codeChallenge,
    scope: valid.scopes.join(' '),
    resource: valid.resource ?? null,
    created_at: now,
    expires_at: now + CODE_TTL_MS,
    used_at: null,
    grant_id: null,
  });
  await recordAudit(ctx, { event: 'mcp.consent_granted', userId: user.id, actor: 'user', meta, details: { clientId: valid.client.id, scope: valid.scopes.join(' ') } });
  // RFC 9207: `iss` tells the client which server answered (mix-up defence).
  return { kind: 'redirect', location: redirectWith(valid.redirectUri, { code, state: valid.state, iss: issuerOf(ctx) }) };
}

/** Password check as in A02: throttled per IP and email, dummy hash for unknown emails, admin role only. */
async function checkOperator(ctx: AppContext, email: string, password: string, meta: RequestMeta): Promise<UsersTable> {
  const ip = meta.ip ?? 'unknown';
  // Spent before the password is judged, as in A02 (Limiters.consume).
  await ctx.limiter.consume('signInPerIp', ip, 'auth/too-many-login-attempts');
  let normalized: string;
  try {
    normalized = parseEmail(email).normalized;
  } catch {
    await ctx.passwords.verifyDummy(password || 'x');
    throw new AppError('auth/invalid-credentials', 'Email or password is incorrect');
  }
  const emailAttempts = await ctx.limiter.consume('signInPerEmail', normalized, 'auth/account-locked');
  const user = await findLiveUserByEmail(ctx.db, normalized);
  const ok = user?.password_hash && password ? await ctx.passwords.verify(user.password_hash, password) : await ctx.passwords.verifyDummy(password || 'x');
  if (!user || !ok) {
    await recordAudit(ctx, { event: 'user.sign_in_failed', outcome: 'failure', userId: user?.id ?? null, actor: 'user', meta, details: { method: 'password', reason: 'invalid_credentials', via: 'mcp_consent' } });
    throw new AppError('auth/invalid-credentials', 'Email or password is incorrect');
  }
  await forgiveSignInAttempt(ctx, ip, normalized, emailAttempts);
  if (user.banned_at !== null) throw new AppError('auth/forbidden', 'This account is suspended.');
  if (user.role !== 'admin') throw new AppError('auth/forbidden', 'Only admin-role Latch users can approve MCP access.');
  return user;
}
