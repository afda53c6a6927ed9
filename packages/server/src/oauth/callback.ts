import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { completeMfaChallenge } from '../mfa/challenge.js';
import type { TokenPair } from '../sessions/sessions.js';
import { findSessionWithUser } from '../sessions/queries.js';
import { consumeState, isServerState, type StateRecord } from './authorize.js';
import { exchangeForProfile } from './exchange.js';
import { linkProfile } from './linking.js';
import { codeRejected } from './provider-http.js';
import { requireUsableProvider } from './provider-settings.js';
import { isOauthProvider, parseOauthProvider, type OauthProvider } from './providers.js';
import { assertAllowedRedirect } from './redirect-allow-list.js';
import { signInWithProfile } from './sign-in.js';

export interface CallbackInput {
  code?: string;
  redirectUri?: string;
  idToken?: string;
  accessToken?: string;
  state?: string;
  codeVerifier?: string;
  mfaCode?: string;
  mfaToken?: string;
}

export type CallbackResult = TokenPair | { linked: true; provider: OauthProvider };

/**
 * A04 (and A03 in JSON mode). Three forms:
 * - `{ mfaToken, mfaCode }`: finish a sign-in waiting for its second factor (decisions.md §5);
 * - a server-issued `state` (E1): the stored verifier, nonce and redirect_uri are used (OP-19/OP-20);
 * - the client-driven bkend form: `code` + allow-listed `redirectUri`, or a Google `idToken`.
 */
export async function handleCallback(ctx: AppContext, providerParam: string, input: CallbackInput, meta: RequestMeta): Promise<CallbackResult> {
  if (input.mfaToken !== undefined) {
    // Any provider path may carry the retry, `email` included (decisions.md §5).
    if (!isOauthProvider(providerParam) && providerParam !== 'email') parseOauthProvider(providerParam);
    if (!input.mfaCode) throw missing('mfaCode');
    return completeMfaChallenge(ctx, { mfaToken: input.mfaToken, mfaCode: input.mfaCode }, meta);
  }
  const provider = parseOauthProvider(providerParam);
  const settings = await requireUsableProvider(ctx, provider);

  if (isServerState(input.state)) {
    const record = await consumeState(ctx, provider, input.state);
    // The code is bound to the redirect_uri of its authorize request (RFC 6749 §4.1.3): no substitutes.
    if (input.redirectUri !== undefined && input.redirectUri !== record.redirect_uri) {
      throw new AppError('auth/invalid-redirect-url', 'redirectUri differs from the one this sign-in started with', { field: 'redirectUri' });
    }
    if (!input.code) throw missing('code');
    const profile = await exchangeForProfile(ctx, provider, settings, { code: input.code, redirectUri: record.redirect_uri, codeVerifier: record.codeVerifier, nonce: record.nonce });
    if (record.link_user_id) {
      await linkForState(ctx, record, provider, profile, meta);
      return { linked: true, provider };
    }
    return signInWithProfile(ctx, provider, profile, meta, input.mfaCode);
  }

  if (input.code !== undefined) {
    if (!input.redirectUri) throw missing('redirectUri');
    assertAllowedRedirect(input.redirectUri, ctx.config.allowedRedirectUrls, 'redirectUri');
  } else if (input.idToken === undefined) {
    throw new AppError('auth/validation-error', 'code or idToken is required', { fields: [{ field: 'code', message: 'code or idToken is required' }] });
  }
  const profile = await exchangeForProfile(ctx, provider, settings, {
    code: input.code,
    redirectUri: input.redirectUri ?? '',
    codeVerifier: input.codeVerifier,
    idToken: input.code === undefined ? input.idToken : undefined,
    accessToken: input.accessToken,
  });
  return signInWithProfile(ctx, provider, profile, meta, input.mfaCode);
}

export interface BrowserCallbackQuery {
  code?: string;
  state?: string;
  redirectUri?: string;
  error?: string;
  error_description?: string;
}

export type BrowserOutcome = { kind: 'redirect'; location: string } | { kind: 'json'; body: CallbackResult };

/**
 * A03, opened by the browser coming back from the provider (no API key, auth-api.md §1.3). With an E1
 * state the browser is sent to the app's allow-listed redirect: tokens, `linked=true`, or `error` (and
 * `mfaToken` when a second factor is due), each with that `state`. Anything wrong with the state itself is answered here as
 * JSON: without a trusted record there is no target to send the browser to.
 */
export async function handleBrowserCallback(ctx: AppContext, providerParam: string, query: BrowserCallbackQuery, meta: RequestMeta): Promise<BrowserOutcome> {
  const provider = parseOauthProvider(providerParam);
  if (!query.state) throw new AppError('auth/invalid-state', 'OAuth state is missing');
  if (!isServerState(query.state)) {
    return { kind: 'json', body: await handleCallback(ctx, provider, { code: query.code, redirectUri: query.redirectUri, state: query.state }, meta) };
  }
  const record = await consumeState(ctx, provider, query.state);
  const target = new URL(record.redirect);
  // The app kept the state E1 gave it: a redirect with another (or none) is a flow it did not start —
  // an attacker's, sent to the victim's browser to sign it into the attacker's account (login CSRF).
  target.searchParams.set('state', query.state);
  try {
    const settings = await requireUsableProvider(ctx, provider);
    if (query.error) throw codeRejected(`${provider} answered ${query.error.slice(0, 64)}`);
    if (!query.code) throw missing('code');
    const profile = await exchangeForProfile(ctx, provider, settings, { code: query.code, redirectUri: record.redirect_uri, codeVerifier: record.codeVerifier, nonce: record.nonce });
    if (record.link_user_id) {
      await linkForState(ctx, record, provider, profile, meta);
      target.searchParams.set('linked', 'true');
      target.searchParams.set('provider', provider);
    } else {
      const pair = await signInWithProfile(ctx, provider, profile, meta);
      // Cookbook names (auth-api.md A03, §16.2); tokens in a URL are the documented trade-off of OP-20.
      target.searchParams.set('accessToken', pair.accessToken);
      target.searchParams.set('refreshToken', pair.refreshToken);
      target.searchParams.set('expiresIn', String(pair.expiresIn));
      target.searchParams.set('isNewUser', String(pair.is_new_user));
    }
  } catch (error) {
    const failure = error instanceof AppError ? error : new AppError('auth/oauth-callback-failed', 'Sign-in failed unexpectedly', undefined, { cause: error });
    if (failure.statusCode >= 500) ctx.log.error({ err: failure.cause ?? failure, provider }, 'oauth callback failed');
    target.searchParams.set('error', failure.code);
    target.searchParams.set('errorMessage', failure.message);
    if (failure.code === 'auth/mfa-required' && typeof failure.details?.mfaToken === 'string') target.searchParams.set('mfaToken', failure.details.mfaToken);
  }
  return { kind: 'redirect', location: target.toString() };
}

/** `link=true` flows finish only while the session that started them is still live (state bound to it). */
async function linkForState(ctx: AppContext, record: StateRecord, provider: OauthProvider, profile: Parameters<typeof linkProfile>[3], meta: RequestMeta): Promise<void> {
  const row = record.link_session_id ? await findSessionWithUser(ctx.db, record.link_session_id) : undefined;
  const live =
    row && row.session_user_id === record.link_user_id && row.session_revoked_at === null && row.session_expires_at > ctx.clock.now() &&
    row.deleted_at === null && row.banned_at === null;
  if (!live) throw new AppError('auth/invalid-token', 'The session that started this link has ended; sign in and try again');
  await linkProfile(ctx, record.link_user_id!, provider, profile, meta);
}

function missing(field: string): AppError {
  return new AppError('auth/validation-error', `${field} is required`, { fields: [{ field, message: 'is required' }] });
}
