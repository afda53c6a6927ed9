import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';

/** Google/GitHub sign-in (A03, A04, E1, E4, E5) and account linking (A18–A21) — registered in app.ts under /v1/auth. */
export function oauthRoutes(_ctx: AppContext): FastifyPluginAsyncTypebox {
  return async () => {};
}
