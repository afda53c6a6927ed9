import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { requestMeta } from '../http/request-meta.js';
import { errorResponses } from '../http/schemas.js';
import { accountRoutes } from './account-routes.js';
import { createAuthorization } from './authorize.js';
import { handleBrowserCallback, handleCallback } from './callback.js';
import { providerRoutes } from './provider-routes.js';
import { parseOauthProvider } from './providers.js';

const tags = ['oauth'];
const text = (maxLength: number, description?: string) => Type.Optional(Type.String({ maxLength, description }));
const ProviderParam = Type.Object({ provider: Type.String({ maxLength: 32, description: 'google or github' }) });
const LinkedResponse = Type.Object({ linked: Type.Literal(true), provider: Type.String() });
const CallbackResponse = Type.Union([Type.Ref('TokenResponse'), LinkedResponse]);

const CallbackBody = Type.Object({
  code: text(2048, 'authorization code from the provider'),
  redirectUri: text(2048, 'the redirect_uri of the authorize request (allow-listed)'),
  idToken: text(8192, 'Google only: an OIDC ID token instead of code'),
  accessToken: text(4096),
  state: text(512),
  codeVerifier: text(128, 'PKCE verifier of a client-driven flow'),
  mfaCode: text(64, 'TOTP or backup code when the account has MFA on'),
  mfaToken: text(128, 'from a 403 auth/mfa-required; send with mfaCode and nothing else'),
});

/** Google/GitHub sign-in (E1, A03, A04), account linking (A18–A21), provider settings (E2, E4, E5) under /v1/auth. */
export function oauthRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/:provider/authorize', {
      config: { auth: 'key' },
      schema: {
        operationId: 'oauthAuthorize',
        tags,
        summary: 'E1 — start a server-driven sign-in (state + PKCE + nonce); link=true links to the caller',
        params: ProviderParam,
        querystring: Type.Object({ redirect: Type.String({ maxLength: 2048, description: 'allow-listed app URL the browser returns to' }), link: Type.Optional(Type.Boolean()) }),
        response: {
          200: Type.Object({ authorizationUrl: Type.String(), state: Type.String(), expiresAt: Type.String() }),
          ...errorResponses(400, 401),
        },
      },
      handler: async (request) => {
        const provider = parseOauthProvider(request.params.provider);
        let link: { userId: string; sessionId: string } | undefined;
        if (request.query.link) {
          const { user, session } = request.caller;
          if (!user || !session) throw new AppError('auth/unauthorized', 'link=true needs Authorization: Bearer <accessToken>');
          link = { userId: user.id, sessionId: session.id };
        }
        return createAuthorization(ctx, provider, { redirect: request.query.redirect, link });
      },
    });

    app.get('/:provider/callback', {
      // Opened by the browser returning from the provider: it cannot send X-API-Key (auth-api.md §1.3).
      config: { auth: 'none' },
      schema: {
        operationId: 'oauthCallbackBrowser',
        tags,
        summary: 'A03 — provider redirect target: 302 to the app (E1 state) or JSON (client state)',
        params: ProviderParam,
        querystring: Type.Object({
          code: text(2048),
          state: text(512),
          redirectUri: text(2048),
          error: text(256),
          error_description: text(1024),
        }),
        response: { 200: CallbackResponse, 302: Type.Null({ description: 'Redirect to the app' }), ...errorResponses(400, 401, 403, 409) },
      },
      handler: async (request, reply) => {
        const outcome = await handleBrowserCallback(ctx, request.params.provider, request.query, requestMeta(request));
        if (outcome.kind === 'json') return outcome.body;
        return reply.redirect(outcome.location, 302);
      },
    });

    app.post('/:provider/callback', {
      config: { auth: 'public' },
      schema: {
        operationId: 'oauthCallback',
        tags,
        summary: 'A04 — exchange a provider code / ID token for a session, or finish an MFA challenge',
        params: ProviderParam,
        body: CallbackBody,
        response: { 200: CallbackResponse, ...errorResponses(400, 401, 403, 409) },
      },
      handler: async (request) => handleCallback(ctx, request.params.provider, request.body, requestMeta(request)),
    });

    await app.register(accountRoutes(ctx));
    await app.register(providerRoutes(ctx));
  };
}
