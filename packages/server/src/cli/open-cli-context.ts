import { openContext } from '../bootstrap.js';
import type { Config } from '../config/load-config.js';
import { createLogger } from '../http/logging.js';
import type { Mailer } from '../mail/mailer.js';

/**
 * The CLI opens the same context as the server, quietly (logs would mix with printed keys). Key and
 * user management from the shell send no mail, so a production shell without LATCH_SMTP_URL may still
 * run them; a command that did try to mail would fail loudly instead of writing to a dev outbox.
 */
export function openCliContext(config: Config) {
  const mailer = !config.smtpUrl && config.nodeEnv === 'production' ? noMailer : undefined;
  return openContext(config, { log: createLogger('warn'), migrate: true, mailer, oneShot: true });
}

const noMailer: Mailer = {
  kind: 'smtp',
  async send() {
    throw new Error('LATCH_SMTP_URL is not set: this command cannot send mail in production');
  },
  async close() {},
};
