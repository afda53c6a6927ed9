import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';

/** Data API with RLS (/v1/data/:tableName) — registered in app.ts under /v1/data. */
export function dataRoutes(_ctx: AppContext): FastifyPluginAsyncTypebox {
  return async () => {};
}
