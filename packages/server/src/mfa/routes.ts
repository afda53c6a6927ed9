import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { currentUser } from '../http/auth-policy.js';
import { requestMeta } from '../http/request-meta.js';
import { CurrentPassword, errorResponses } from '../http/schemas.js';
import { confirmMfa, disableMfa, enableMfa } from './setup.js';

const tags = ['mfa'];
const Code = Type.String({ minLength: 1, maxLength: 64, description: '6-digit TOTP code or an 8-character backup code' });

/** TOTP MFA (A15–A17, auth-api.md §8.5) — registered in app.ts under /v1/auth/mfa. */
export function mfaRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/enable', {
      config: { auth: 'user' },
      schema: {
        operationId: 'enableMfa',
        tags,
        summary: 'A15 — start TOTP set-up (needs the current password)',
        body: Type.Object({ password: CurrentPassword }),
        response: {
          200: Type.Object({
            secret: Type.String({ description: 'Base32 secret for manual entry' }),
            qrCodeUrl: Type.String({ description: 'otpauth:// URI' }),
            qrCode: Type.String({ description: 'PNG data URL of the QR code' }),
            backupCodes: Type.Array(Type.String()),
          }),
          ...errorResponses(400, 401),
        },
      },
      handler: async (request) => enableMfa(ctx, currentUser(request).user, request.body.password, requestMeta(request)),
    });

    app.post('/confirm', {
      config: { auth: 'user' },
      schema: {
        operationId: 'confirmMfa',
        tags,
        summary: 'A16 — activate MFA with the first code from the authenticator',
        body: Type.Object({ code: Code }),
        response: { 200: Type.Object({ backupCodes: Type.Array(Type.String()) }), ...errorResponses(400, 401) },
      },
      handler: async (request) => confirmMfa(ctx, currentUser(request).user, request.body.code, requestMeta(request)),
    });

    app.post('/disable', {
      config: { auth: 'user' },
      schema: {
        operationId: 'disableMfa',
        tags,
        summary: 'A17 — turn MFA off (password and a current code)',
        body: Type.Object({ password: CurrentPassword, code: Type.Optional(Code) }),
        response: { 200: Type.Object({}), ...errorResponses(400, 401) },
      },
      handler: async (request) => {
        await disableMfa(ctx, currentUser(request).user, request.body.password, request.body.code, requestMeta(request));
        return {};
      },
    });
  };
}
