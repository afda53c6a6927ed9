import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';

/** Organizations and invitations (A09, A22–A27) — registered in app.ts under /v1/auth. */
export function invitationRoutes(_ctx: AppContext): FastifyPluginAsyncTypebox {
  return async () => {};
}
