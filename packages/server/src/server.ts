import type { FastifyInstance } from 'fastify';
import { countApiKeys } from './api-keys/queries.js';
import { createApiKey, ensureApiKey } from './api-keys/api-keys.js';
import { buildApp } from './app.js';
import { openContext, type OpenOptions } from './bootstrap.js';
import type { Config } from './config/load-config.js';
import type { AppContext } from './context.js';
import { claimSetting } from './settings/queries.js';
import { MAINTENANCE_JOBS } from './maintenance/jobs.js';
import { startMaintenance } from './maintenance/scheduler.js';

export interface RunningServer {
  app: FastifyInstance;
  ctx: AppContext;
  url: string;
  stop(): Promise<void>;
}

/** connect → migrate → keys → buildApp → listen. */
export async function startServer(config: Config, options: OpenOptions & { print?: (line: string) => void } = {}): Promise<RunningServer> {
  const opened = await openContext(config, { serving: true, ...options });
  const { ctx } = opened;
  try {
    await ensureStartupKeys(ctx, options.print ?? ((line) => process.stdout.write(`${line}\n`)));
    const app = await buildApp(ctx);
    await app.listen({ host: config.host, port: config.port });
    const stopMaintenance = startMaintenance(ctx, MAINTENANCE_JOBS);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    let stopping: Promise<void> | undefined;
    return {
      app,
      ctx,
      url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
      // Fastify's close lets in-flight requests finish and refuses new ones with 503.
      // In-flight requests get LATCH_SHUTDOWN_TIMEOUT seconds; then the remaining connections (an
      // abandoned upload, a client that never reads) are closed so a stop can never hang.
      stop: () =>
        (stopping ??= (async () => {
          stopMaintenance();
          const force = setTimeout(() => {
            ctx.log.warn({ timeoutSeconds: config.shutdownTimeout }, 'shutdown grace period over: closing the remaining connections');
            app.server.closeAllConnections();
          }, config.shutdownTimeout * 1000);
          force.unref();
          try {
            await app.close();
          } finally {
            clearTimeout(force);
          }
          await opened.close();
        })()),
    };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/**
 * Bootstrap keys from the environment are ensured; on the very first start without them, one
 * publishable and one secret key are created and printed once (config.md) — only hashes are kept.
 */
async function ensureStartupKeys(ctx: AppContext, print: (line: string) => void): Promise<void> {
  const { bootstrapPublishableKey, bootstrapSecretKey } = ctx.config;
  if (bootstrapPublishableKey) await ensureApiKey(ctx, 'publishable', bootstrapPublishableKey);
  if (bootstrapSecretKey) await ensureApiKey(ctx, 'secret', bootstrapSecretKey);
  if (bootstrapPublishableKey || bootstrapSecretKey) return;
  const { count } = await countApiKeys(ctx.db);
  if (Number(count) > 0) return;
  // Two instances starting at once on an empty database: only the one that claims the marker prints.
  if (!(await claimSetting(ctx.db, 'bootstrap:first-start-keys', ctx.clock.now()))) return;
  const pk = await createApiKey(ctx, { type: 'publishable', name: 'default-publishable' });
  const sk = await createApiKey(ctx, { type: 'secret', name: 'default-secret' });
  print('');
  print('First start: API keys created. They are shown only this once; store them now.');
  print(`  publishable key (browser/app):  ${pk.key}`);
  print(`  secret key (server only):       ${sk.key}`);
  print('');
}
