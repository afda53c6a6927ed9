import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { currentUser } from '../http/auth-policy.js';
import { requireString } from '../http/fields.js';
import { requestMeta } from '../http/request-meta.js';
import { CurrentPassword, Email, errorResponses, MessageResponse, NewPassword } from '../http/schemas.js';
import { presentSelfUserOnce } from '../users/present.js';
import { requestMagicLink } from '../email-flows/magic-link.js';
import { changePassword } from './password-change.js';
import { signInWithPassword } from './sign-in.js';
import { signUpWithPassword } from './sign-up.js';
import { withdrawUser } from './withdraw.js';

const tags = ['auth'];

const SignUpBody = Type.Object({
  method: Type.String({ description: '"password" or "magiclink"' }),
  email: Email,
  password: Type.Optional(NewPassword),
  name: Type.Optional(Type.String({ maxLength: 1000 })),
  callbackUrl: Type.Optional(Type.String({ maxLength: 2048 })),
});

const SignInBody = Type.Object({
  method: Type.String(),
  email: Email,
  password: Type.Optional(CurrentPassword),
  mfaCode: Type.Optional(Type.String({ maxLength: 64 })),
  callbackUrl: Type.Optional(Type.String({ maxLength: 2048 })),
});

/** Body variants by `method`; other capabilities (magic link) add theirs here. */
export const signUpMethods = new Map<string, (ctx: AppContext, body: typeof SignUpBody.static, meta: ReturnType<typeof requestMeta>) => Promise<unknown>>([
  ['password', (ctx, body, meta) => signUpWithPassword(ctx, { email: body.email, password: requireString(body.password, 'password'), name: requireString(body.name, 'name'), callbackUrl: body.callbackUrl }, meta)],
  // A01-M (auth-api.md §8.1): 201 { message, email }; the account is created when the link is exchanged.
  ['magiclink', (ctx, body, meta) => requestMagicLink(ctx, { email: body.email, callbackUrl: body.callbackUrl, name: body.name }, meta)],
]);
export const signInMethods = new Map<string, (ctx: AppContext, body: typeof SignInBody.static, meta: ReturnType<typeof requestMeta>) => Promise<unknown>>([
  ['password', (ctx, body, meta) => signInWithPassword(ctx, { email: body.email, password: requireString(body.password, 'password'), mfaCode: body.mfaCode }, meta)],
  // A02-M: the same as A01-M, answered 200 (an unknown address gets its account at the exchange, OP-12).
  ['magiclink', (ctx, body, meta) => requestMagicLink(ctx, { email: body.email, callbackUrl: body.callbackUrl }, meta)],
]);

function unknownMethod(method: string, known: Map<string, unknown>): AppError {
  return new AppError('auth/validation-error', `method must be one of: ${[...known.keys()].join(', ')}`, {
    fields: [{ field: 'method', message: `unsupported method "${method.slice(0, 32)}"` }],
  });
}

export function authRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/email/signup', {
      config: { auth: 'public' },
      // 429 before 400 (STYLE §5): the per-IP sign-up budget is spent before the body is validated.
      preValidation: async (request) => {
        const method = (request.body as { method?: unknown } | null)?.method;
        if (method === 'password') await ctx.limiter.consume('signUpPerIp', requestMeta(request).ip ?? 'unknown');
      },
      schema: {
        operationId: 'signUp',
        tags,
        summary: 'A01 — sign up (method "password" or "magiclink")',
        body: SignUpBody,
        response: { 201: Type.Union([Type.Ref('TokenResponse'), Type.Object({ message: Type.String(), email: Type.String() })]), ...errorResponses(400, 401, 409) },
      },
      handler: async (request, reply) => {
        const run = signUpMethods.get(request.body.method);
        if (!run) throw unknownMethod(request.body.method, signUpMethods);
        return reply.code(201).send(await run(ctx, request.body, requestMeta(request)));
      },
    });

    app.post('/email/signin', {
      config: { auth: 'public' },
      schema: {
        operationId: 'signIn',
        tags,
        summary: 'A02 — sign in (method "password" or "magiclink")',
        body: SignInBody,
        response: { 200: Type.Union([Type.Ref('TokenResponse'), Type.Object({ message: Type.String(), email: Type.String() })]), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const run = signInMethods.get(request.body.method);
        if (!run) throw unknownMethod(request.body.method, signInMethods);
        return run(ctx, request.body, requestMeta(request));
      },
    });

    app.get('/me', {
      config: { auth: 'user' },
      schema: { operationId: 'getMe', tags, summary: 'A05 — the signed-in user', response: { 200: Type.Ref('SelfUser'), ...errorResponses(401, 404) } },
      handler: async (request) => presentSelfUserOnce(currentUser(request).user),
    });

    app.delete('/withdraw', {
      config: { auth: 'user' },
      schema: { operationId: 'withdraw', tags, summary: 'A08 — delete my account', response: { 200: MessageResponse, ...errorResponses(401, 403) } },
      handler: async (request) => {
        await withdrawUser(ctx, currentUser(request).user);
        return { message: 'Account deleted' };
      },
    });

    app.post('/password/change', {
      config: { auth: 'user' },
      schema: {
        operationId: 'changePassword',
        tags,
        summary: 'A12 — change password (ends every session)',
        body: Type.Object({ currentPassword: CurrentPassword, newPassword: NewPassword }),
        response: { 200: MessageResponse, ...errorResponses(400, 401) },
      },
      handler: async (request) => {
        await changePassword(ctx, currentUser(request).user, request.body.currentPassword, request.body.newPassword);
        return { message: 'Password changed; sign in again' };
      },
    });
  };
}
