import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';

/** Audit log and dev outbox for operators — registered in app.ts under /v1/admin. */
export function adminAuditRoutes(_ctx: AppContext): FastifyPluginAsyncTypebox {
  return async () => {};
}
