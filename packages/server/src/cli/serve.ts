import { createLogger } from '../http/logging.js';
import type { Config } from '../config/load-config.js';
import { startServer } from '../server.js';
import type { Output } from './main.js';

/** Runs until SIGTERM/SIGINT, then lets in-flight requests finish before exiting. */
export async function runServe(config: Config, io: Output): Promise<number> {
  const log = createLogger(config.logLevel);
  const server = await startServer(config, { log, print: io.out });
  io.out(`Latch is listening on ${server.url} (public URL ${config.publicUrl}, ${server.ctx.dialect.name})`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: finishing in-flight requests');
      server.stop().then(resolve, (error) => {
        log.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
