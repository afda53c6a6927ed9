import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';

/** User management, profiles, settings, avatars (U01–U19) — registered in app.ts under /v1/users. */
export function userRoutes(_ctx: AppContext): FastifyPluginAsyncTypebox {
  return async () => {};
}
