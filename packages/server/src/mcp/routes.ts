import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';

/** MCP over Streamable HTTP and its OAuth endpoints — registered in app.ts under / (paths /mcp, /.well-known/oauth-*). */
export function mcpRoutes(_ctx: AppContext): FastifyPluginAsyncTypebox {
  return async () => {};
}
