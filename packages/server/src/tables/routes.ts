import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';

/** Table management for operators — registered in app.ts under /v1/admin/tables. */
export function tableAdminRoutes(_ctx: AppContext): FastifyPluginAsyncTypebox {
  return async () => {};
}
