import { createLogger } from '../http/logging.js';
import type { Config } from '../config/load-config.js';
import { startServer } from '../server.js';
import type { Output } from './main.js';

/**
 * Runs until SIGTERM/SIGINT, then refuses new connections and lets in-flight requests finish, for at
 * most LATCH_SHUTDOWN_TIMEOUT seconds (an abandoned upload or an open stream must not keep a deploy
 * waiting forever). A second signal is not caught: it ends the process at once.
 */
export async function runServe(config: Config, io: Output): Promise<number> {
  const log = createLogger(config.logLevel);
  const server = await startServer(config, { log, print: io.out });
  io.out(`Latch is listening on ${server.url} (public URL ${config.publicUrl}, ${server.ctx.dialect.name})`);
  return new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      log.info({ signal }, 'shutting down: finishing in-flight requests');
      // stop() closes whatever is still open after LATCH_SHUTDOWN_TIMEOUT.
      server.stop().then(
        () => resolve(0),
        (error) => {
          log.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
