import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';

/** Password reset, email verification, magic link, provider settings, email templates (issue: email flows) — registered in app.ts under /v1/auth. */
export function emailFlowRoutes(_ctx: AppContext): FastifyPluginAsyncTypebox {
  return async () => {};
}
