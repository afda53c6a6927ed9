import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { requestMeta } from '../http/request-meta.js';
import { Email, errorResponses, MessageResponse, NewPassword } from '../http/schemas.js';
import { completeMfaChallenge } from '../mfa/challenge.js';
import { isAllowedRedirect } from '../oauth/redirect-allow-list.js';
import { confirmEmailVerification, resendSignupConfirmation, sendContactVerification } from './email-verification.js';
import { appendQuery } from './email-tokens.js';
import { exchangeMagicLink } from './magic-link.js';
import { confirmPasswordReset, requestPasswordReset } from './password-reset.js';

const tags = ['email'];
const CallbackUrl = Type.String({ maxLength: 2048, description: 'allow-listed URL the emailed link leads to (LATCH_ALLOWED_REDIRECT_URLS)' });
const OneTimeToken = Type.String({ maxLength: 512, description: 'the token from the emailed link' });
const SendBody = Type.Object({ email: Email, callbackUrl: Type.Optional(CallbackUrl) });
const SentResponse = Type.Object({ message: Type.String(), email: Type.String() });

/** A10, A11, A28–A32 and the magic-link exchange (auth-api.md §6, §8.1, §8.3, §8.4). */
export function emailFlowEndpoints(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/password/reset/request', {
      config: { auth: 'public' },
      schema: {
        operationId: 'requestPasswordReset',
        tags,
        summary: 'A10 — email a password reset link (same answer for unknown addresses)',
        body: Type.Object({ email: Email, callbackUrl: Type.Optional(CallbackUrl) }),
        response: { 200: MessageResponse, ...errorResponses(400, 401) },
      },
      handler: async (request) => requestPasswordReset(ctx, request.body, requestMeta(request)),
    });

    app.post('/password/reset/confirm', {
      config: { auth: 'public' },
      schema: {
        operationId: 'confirmPasswordReset',
        tags,
        summary: 'A11 — set a new password with the emailed token (ends every session)',
        body: Type.Object({ email: Email, token: OneTimeToken, newPassword: NewPassword }),
        response: { 200: MessageResponse, ...errorResponses(400, 401, 404) },
      },
      handler: async (request) => confirmPasswordReset(ctx, request.body, requestMeta(request)),
    });

    for (const [path, operationId, summary] of [
      ['/email/verify/send', 'sendEmailVerification', 'A28 — email a verification link (with a JWT: verify a new address for the caller)'],
      ['/email/verify/resend', 'resendEmailVerification', 'A30 — send the verification link again (voids the previous one)'],
    ] as const) {
      app.post(path, {
        config: { auth: 'key' },
        schema: { operationId, tags, summary, body: SendBody, response: { 200: SentResponse, ...errorResponses(400, 401, 409) } },
        handler: async (request) => sendContactVerification(ctx, request.body, request.caller.user, requestMeta(request)),
      });
    }

    app.post('/email/verify/confirm', {
      config: { auth: 'public' },
      schema: {
        operationId: 'confirmEmailVerification',
        tags,
        summary: 'A29 — confirm an address with the emailed token',
        body: Type.Object({ email: Email, token: OneTimeToken }),
        response: { 200: Type.Object({ message: Type.String(), verified: Type.Literal(true) }), ...errorResponses(400, 401, 409) },
      },
      handler: async (request) => {
        await confirmEmailVerification(ctx, request.body, requestMeta(request));
        return { message: 'Email address verified', verified: true as const };
      },
    });

    app.post('/signup/email/resend', {
      config: { auth: 'public' },
      schema: {
        operationId: 'resendSignupConfirmation',
        tags,
        summary: 'A31 — send the sign-up confirmation again',
        body: SendBody,
        response: { 200: SentResponse, ...errorResponses(400, 401) },
      },
      handler: async (request) => resendSignupConfirmation(ctx, request.body, requestMeta(request)),
    });

    app.get('/signup/email/confirm', {
      // Clicked in an email: the browser cannot send X-API-Key (auth-api.md §1.3, OP-34).
      config: { auth: 'none' },
      schema: {
        operationId: 'confirmSignupEmail',
        tags,
        summary: 'A32 — confirm the sign-up address from the emailed link (302 to callbackUrl, or JSON)',
        querystring: Type.Object({ token: OneTimeToken, email: Email, callbackUrl: Type.Optional(CallbackUrl) }),
        response: {
          200: Type.Object({ success: Type.Literal(true), data: Type.Object({ verified: Type.Literal(true), email: Type.String() }) }),
          302: Type.Null({ description: 'Redirect to callbackUrl with verified=true|false, email and error' }),
          ...errorResponses(400, 401, 409),
        },
      },
      handler: async (request, reply) => {
        const { token, email, callbackUrl } = request.query;
        // A target off the allow-list is answered in JSON and never followed (auth-api.md A32).
        if (callbackUrl !== undefined && !isAllowedRedirect(callbackUrl, ctx.config.allowedRedirectUrls)) {
          throw new AppError('auth/invalid-redirect-url', 'callbackUrl is not on this server\'s redirect allow-list', { field: 'callbackUrl' });
        }
        try {
          const verified = await confirmEmailVerification(ctx, { token, email }, requestMeta(request));
          // The only wrapped success body of the API (auth-api.md §2, §16.11).
          if (callbackUrl === undefined) return { success: true as const, data: { verified: true as const, email: verified.email } };
          return reply.redirect(appendQuery(callbackUrl, { verified: 'true', email: verified.email }), 302);
        } catch (error) {
          if (callbackUrl === undefined || !(error instanceof AppError) || error.statusCode >= 500) throw error;
          return reply.redirect(appendQuery(callbackUrl, { verified: 'false', email, error: error.code }), 302);
        }
      },
    });

    app.post('/email/callback', {
      config: { auth: 'public' },
      schema: {
        operationId: 'exchangeMagicLink',
        tags,
        summary: 'A04 (provider "email") — exchange a magic-link token for a session, or finish its MFA challenge',
        body: Type.Object({
          token: Type.Optional(OneTimeToken),
          mfaCode: Type.Optional(Type.String({ maxLength: 64, description: 'TOTP or backup code when the account has MFA on' })),
          mfaToken: Type.Optional(Type.String({ maxLength: 128, description: 'from a 403 auth/mfa-required; send with mfaCode instead of token' })),
        }),
        response: { 200: Type.Ref('TokenResponse'), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { token, mfaToken, mfaCode } = request.body;
        const meta = requestMeta(request);
        // OP-13 / decisions.md §5: the retry after 403 auth/mfa-required carries { mfaToken, mfaCode }.
        if (mfaToken !== undefined && token === undefined) {
          if (mfaCode === undefined || mfaCode === '') {
            throw new AppError('auth/validation-error', 'mfaCode is required with mfaToken', { fields: [{ field: 'mfaCode', message: 'is required' }] });
          }
          return completeMfaChallenge(ctx, { mfaToken, mfaCode }, meta);
        }
        return exchangeMagicLink(ctx, { token, mfaCode }, meta);
      },
    });
  };
}
