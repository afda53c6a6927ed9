import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox, } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { emailSettings } from '../auth/email-settings.js';
import type { AppContext } from '../context.js';
import { errorResponses, MessageResponse, pageQuery, Pagination, pagination } from '../http/schemas.js';
import { deleteProviderSettings, isConfigured, listProviderSettings, loadProviderSettings, presentProviderSettings, updateProviderSettings } from './provider-settings.js';
import { parseOauthProvider } from './providers.js';

const tags = ['providers'];

const OauthProviderSchema = Type.Object({
  provider: Type.String(),
  clientId: Type.Union([Type.String(), Type.Null()]),
  redirectUri: Type.String({ description: 'the redirect_uri sent to the provider' }),
  scopes: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  configured: Type.Boolean({ description: 'client id and secret are set' }),
  clientSecretSet: Type.Boolean({ description: 'the secret itself is write-only' }),
  source: Type.String({ description: 'stored (E5), env (LATCH_* seed) or none' }),
});

const Scope = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7E]+$' });

/** E2, E4, E5 (auth-api.md §12, §14; decisions.md §5): admin only — the secret key or an admin JWT. */
export function providerRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/providers', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'listProviders',
        tags,
        summary: 'E2 — sign-in methods with enabled/configured flags',
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({ provider: Type.String(), enabled: Type.Boolean(), configured: Type.Boolean() })) }),
          ...errorResponses(401, 403),
        },
      },
      handler: async () => {
        const [email, oauth] = await Promise.all([emailSettings(ctx), listProviderSettings(ctx)]);
        return {
          items: [
            { provider: 'email', enabled: email.enabled, configured: true },
            ...oauth.map((settings) => ({ provider: settings.provider, enabled: settings.enabled && isConfigured(settings), configured: isConfigured(settings) })),
          ],
        };
      },
    });

    app.get('/providers/oauth', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'listOauthProviders',
        tags,
        summary: 'E4 — Google and GitHub settings (client secret never returned)',
        querystring: pageQuery(20),
        response: { 200: Type.Object({ items: Type.Array(OauthProviderSchema), pagination: Pagination }), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { page, limit } = request.query;
        const all = (await listProviderSettings(ctx)).map((settings) => presentProviderSettings(ctx, settings));
        return { items: all.slice((page - 1) * limit, page * limit), pagination: pagination(page, limit, all.length) };
      },
    });

    app.get('/providers/oauth/:provider', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'getOauthProvider',
        tags,
        summary: 'E5 — one provider\'s settings',
        params: Type.Object({ provider: Type.String({ maxLength: 32 }) }),
        response: { 200: OauthProviderSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => presentProviderSettings(ctx, await loadProviderSettings(ctx, parseOauthProvider(request.params.provider))),
    });

    app.put('/providers/oauth/:provider', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'updateOauthProvider',
        tags,
        summary: 'E5 — partial update; the client secret is stored encrypted and never returned',
        params: Type.Object({ provider: Type.String({ maxLength: 32 }) }),
        body: Type.Object({
          clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
          clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
          redirectUri: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
          scopes: Type.Optional(Type.Array(Scope, { minItems: 1, maxItems: 20 })),
          enabled: Type.Optional(Type.Boolean()),
        }),
        response: { 200: OauthProviderSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const provider = parseOauthProvider(request.params.provider);
        return presentProviderSettings(ctx, await updateProviderSettings(ctx, provider, request.body, actorOf(request)));
      },
    });

    app.delete('/providers/oauth/:provider', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'deleteOauthProvider',
        tags,
        summary: 'E5 — forget stored settings (LATCH_* variables, if set, seed the provider again)',
        params: Type.Object({ provider: Type.String({ maxLength: 32 }) }),
        response: { 200: MessageResponse, ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const provider = parseOauthProvider(request.params.provider);
        await deleteProviderSettings(ctx, provider, actorOf(request));
        return { message: `${provider} settings removed` };
      },
    });
  };
}

function actorOf(request: FastifyRequest): string {
  return request.caller.user ? `user:${request.caller.user.id}` : 'secret_key';
}
