import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { settleDeliveries } from './delivery.js';
import { emailFlowEndpoints } from './flow-routes.js';
import { emailSettingsEndpoints } from './settings-routes.js';

/** Password reset, email verification, magic link, provider settings, email templates (issue: email flows) — registered in app.ts under /v1/auth. */
export function emailFlowRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Mail still leaving after its answer is finished before the database closes.
    app.addHook('onClose', async () => settleDeliveries(ctx));
    await app.register(emailFlowEndpoints(ctx));
    await app.register(emailSettingsEndpoints(ctx));
  };
}
