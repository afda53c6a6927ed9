import { createHash } from 'node:crypto';
import { iso } from '../clock.js';
import type { AppContext } from '../context.js';
import { sha256Hex } from '../crypto/digest.js';
import { randomToken } from '../crypto/random.js';
import { AppError } from '../errors/app-error.js';
import { providerRedirectUri, requireUsableProvider } from './provider-settings.js';
import type { OauthProvider } from './providers.js';
import { deleteExpiredStates, insertState, takeState } from './queries.js';
import { assertAllowedRedirect } from './redirect-allow-list.js';
import type { OauthStatesTable } from './tables.js';

// Server-issued states carry a prefix, so a client's own opaque state (bkend form, OP-19) is never
// mistaken for one, and a reused or expired server state can never fall back to the client-driven form.
const STATE_PREFIX = 'lst_';
const SERVER_STATE = /^lst_[A-Za-z0-9_-]{43}$/;
const STATE_TTL_MS = 10 * 60_000;
const VERIFIER_PURPOSE = 'oauth-pkce-verifier';

export interface Authorization {
  authorizationUrl: string;
  state: string;
  expiresAt: string;
}

export interface StateRecord extends OauthStatesTable {
  codeVerifier: string;
}

export function isServerState(state: string | undefined): state is string {
  return state !== undefined && SERVER_STATE.test(state);
}

/**
 * E1 (decisions.md §5): a single-use state (10 minutes) holding the PKCE S256 verifier, the OIDC nonce,
 * the allow-listed app redirect and, for `link=true`, the caller's session (RFC 9700 §2.1, RFC 7636).
 */
export async function createAuthorization(
  ctx: AppContext,
  provider: OauthProvider,
  input: { redirect: string; link?: { userId: string; sessionId: string } },
): Promise<Authorization> {
  const settings = await requireUsableProvider(ctx, provider);
  const redirect = assertAllowedRedirect(input.redirect, ctx.config.allowedRedirectUrls, 'redirect').toString();
  const now = ctx.clock.now();
  const state = `${STATE_PREFIX}${randomToken(32)}`;
  const codeVerifier = randomToken(32);
  const nonce = randomToken(16);
  const redirectUri = providerRedirectUri(ctx, settings);
  await deleteExpiredStates(ctx.db, now);
  await insertState(ctx.db, {
    state_hash: sha256Hex(state),
    provider,
    code_verifier_sealed: ctx.sealer.seal(VERIFIER_PURPOSE, codeVerifier),
    nonce,
    redirect,
    redirect_uri: redirectUri,
    link_user_id: input.link?.userId ?? null,
    link_session_id: input.link?.sessionId ?? null,
    created_at: now,
    expires_at: now + STATE_TTL_MS,
  });

  const endpoints = ctx.config.oauth[provider];
  const url = new URL(endpoints.authorizeUrl);
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', settings.scopes.join(' '));
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', createHash('sha256').update(codeVerifier).digest('base64url'));
  url.searchParams.set('code_challenge_method', 'S256');
  if (provider === 'google') url.searchParams.set('nonce', nonce);
  return { authorizationUrl: url.toString(), state, expiresAt: iso(now + STATE_TTL_MS)! };
}

/** Take (and so consume) a server-issued state; unknown, used, expired or foreign → 400 auth/invalid-state. */
export async function consumeState(ctx: AppContext, provider: OauthProvider, state: string): Promise<StateRecord> {
  const row = await takeState(ctx.db, sha256Hex(state));
  if (!row) throw invalidState('unknown or already used');
  if (row.expires_at <= ctx.clock.now()) throw invalidState('expired; start the sign-in again');
  if (row.provider !== provider) throw invalidState('issued for another provider');
  return { ...row, codeVerifier: ctx.sealer.open(VERIFIER_PURPOSE, row.code_verifier_sealed) };
}

function invalidState(why: string): AppError {
  return new AppError('auth/invalid-state', `OAuth state is ${why}`);
}
