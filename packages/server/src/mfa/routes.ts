import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';

/** TOTP MFA (A15–A17) — registered in app.ts under /v1/auth/mfa. */
export function mfaRoutes(_ctx: AppContext): FastifyPluginAsyncTypebox {
  return async () => {};
}
