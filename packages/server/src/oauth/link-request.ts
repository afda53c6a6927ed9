import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import type { RequestMeta } from '../http/request-meta.js';
import { consumeState, isServerState } from './authorize.js';
import { exchangeForProfile } from './exchange.js';
import { linkProfile } from './linking.js';
import type { ExchangeInput } from './profile.js';
import { providerRedirectUri, requireUsableProvider } from './provider-settings.js';
import { parseOauthProvider } from './providers.js';
import { assertAllowedRedirect } from './redirect-allow-list.js';

export interface LinkRequest {
  provider: string;
  code?: string;
  idToken?: string;
  accessToken?: string;
  state?: string;
  redirectUri?: string;
  codeVerifier?: string;
}

/**
 * A18: link with a code or ID token the app obtained. `redirectUri` defaults to the provider's configured
 * one (OP-21) and must otherwise be allow-listed; an E1 state is honoured (its verifier and nonce) when
 * it was issued to this same user or for no one.
 */
export async function linkWithRequest(ctx: AppContext, userId: string, body: LinkRequest, meta: RequestMeta): Promise<void> {
  const provider = parseOauthProvider(body.provider);
  const settings = await requireUsableProvider(ctx, provider);
  let exchange: ExchangeInput;
  if (isServerState(body.state)) {
    const record = await consumeState(ctx, provider, body.state);
    if (record.link_user_id !== null && record.link_user_id !== userId) throw new AppError('auth/invalid-state', 'OAuth state was issued to another user');
    if (!body.code) throw new AppError('auth/validation-error', 'code is required', { fields: [{ field: 'code', message: 'is required' }] });
    exchange = { code: body.code, redirectUri: record.redirect_uri, codeVerifier: record.codeVerifier, nonce: record.nonce };
  } else {
    if (body.code === undefined && body.idToken === undefined) {
      throw new AppError('auth/validation-error', 'code or idToken is required', { fields: [{ field: 'code', message: 'code or idToken is required' }] });
    }
    const redirectUri = body.redirectUri ?? providerRedirectUri(ctx, settings);
    if (body.redirectUri !== undefined) assertAllowedRedirect(body.redirectUri, ctx.config.allowedRedirectUrls, 'redirectUri');
    exchange = { code: body.code, redirectUri, codeVerifier: body.codeVerifier, idToken: body.code === undefined ? body.idToken : undefined, accessToken: body.accessToken };
  }
  const profile = await exchangeForProfile(ctx, provider, settings, exchange);
  await linkProfile(ctx, userId, provider, profile, meta);
}
