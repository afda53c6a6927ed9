import { openContext } from '../bootstrap.js';
import type { Config } from '../config/load-config.js';
import { createLogger } from '../http/logging.js';

/** The CLI opens the same context as the server, quietly (logs would mix with printed keys). */
export function openCliContext(config: Config) {
  return openContext(config, { log: createLogger('warn'), migrate: true });
}
