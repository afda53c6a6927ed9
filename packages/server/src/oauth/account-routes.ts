import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { currentUser } from '../http/auth-policy.js';
import { requestMeta } from '../http/request-meta.js';
import { errorResponses, MessageResponse, pageQuery, Pagination, pagination } from '../http/schemas.js';
import { linkWithRequest } from './link-request.js';
import { checkAccount, listAccounts, presentAccount, unlinkAccount } from './linking.js';

const tags = ['accounts'];
const text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));

const AccountSchema = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  provider: Type.String(),
  providerAccountId: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  connectedAt: Type.String(),
  linkedAt: Type.String(),
});

/** A18–A21 (auth-api.md §8.6). */
export function accountRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/accounts/check', {
      config: { auth: 'public' },
      schema: {
        operationId: 'checkAccount',
        tags,
        summary: 'A21 — is this identity registered? (rate-limited; can be switched off)',
        body: Type.Object({
          type: Type.String({ maxLength: 32, description: 'credentials or oauth' }),
          provider: Type.String({ maxLength: 32 }),
          providerAccountId: Type.String({ minLength: 1, maxLength: 1024 }),
        }),
        response: {
          200: Type.Object({ exists: Type.Boolean(), type: Type.Optional(Type.String()), provider: Type.Optional(Type.String()) }),
          ...errorResponses(400, 401, 403),
        },
      },
      handler: async (request) => checkAccount(ctx, request.body, requestMeta(request)),
    });

    app.post('/accounts', {
      config: { auth: 'user' },
      schema: {
        operationId: 'linkAccount',
        tags,
        summary: 'A18 — link a Google or GitHub account to the signed-in user',
        body: Type.Object({
          provider: Type.String({ maxLength: 32 }),
          code: text(2048),
          idToken: text(8192),
          accessToken: text(4096),
          state: text(512),
          redirectUri: text(2048),
          codeVerifier: text(128),
        }),
        response: { 201: Type.Object({}), ...errorResponses(400, 401, 409) },
      },
      handler: async (request, reply) => {
        await linkWithRequest(ctx, currentUser(request).user.id, request.body, requestMeta(request));
        return reply.code(201).send({});
      },
    });

    app.get('/accounts', {
      config: { auth: 'user' },
      schema: {
        operationId: 'listAccounts',
        tags,
        summary: 'A19 — my sign-in methods (email credential included)',
        querystring: pageQuery(10),
        response: { 200: Type.Object({ items: Type.Array(AccountSchema), pagination: Pagination }), ...errorResponses(400, 401) },
      },
      handler: async (request) => {
        const { page, limit } = request.query;
        const { rows, total } = await listAccounts(ctx, currentUser(request).user.id, page, limit);
        return { items: rows.map(presentAccount), pagination: pagination(page, limit, total) };
      },
    });

    app.delete('/accounts/:provider', {
      config: { auth: 'user' },
      schema: {
        operationId: 'unlinkAccount',
        tags,
        summary: 'A20 — remove a sign-in method (never the last one)',
        params: Type.Object({ provider: Type.String({ maxLength: 32 }) }),
        response: { 200: MessageResponse, ...errorResponses(400, 401, 404) },
      },
      handler: async (request) => {
        await unlinkAccount(ctx, currentUser(request).user.id, request.params.provider, requestMeta(request));
        return { message: `${request.params.provider} account unlinked` };
      },
    });
  };
}
