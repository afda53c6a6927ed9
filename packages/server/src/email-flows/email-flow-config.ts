import { ConfigError } from '../config/config-error.js';
import { parseRate, shown, type Rate } from '../config/parse.js';

type Read = (name: string) => string | undefined;

export interface EmailFlowConfig {
  /** LATCH_PASSWORD_RESET_TTL, seconds: 15 minutes by default (decisions.md §5). */
  passwordResetTtl: number;
  /** LATCH_EMAIL_VERIFICATION_TTL, seconds: 24 hours by default (auth-api.md §8.4, OP-9). */
  emailVerificationTtl: number;
  /** Email-sending budgets of auth-api.md §10 (OP-32). */
  rates: {
    /** LATCH_RATE_EMAIL_INTERVAL: one send per address per 60 s. */
    interval: Rate;
    /** LATCH_RATE_EMAIL_ADDRESS: 5 sends per address per hour. */
    perAddress: Rate;
    /** LATCH_RATE_EMAIL_IP: 30 email-sending requests per IP per hour. */
    perIp: Rate;
  };
}

export function parseEmailFlowConfig(read: Read): EmailFlowConfig {
  return {
    passwordResetTtl: seconds(read('LATCH_PASSWORD_RESET_TTL') ?? '900', 'LATCH_PASSWORD_RESET_TTL'),
    emailVerificationTtl: seconds(read('LATCH_EMAIL_VERIFICATION_TTL') ?? '86400', 'LATCH_EMAIL_VERIFICATION_TTL'),
    rates: {
      interval: parseRate(read('LATCH_RATE_EMAIL_INTERVAL') ?? '1/60', 'LATCH_RATE_EMAIL_INTERVAL'),
      perAddress: parseRate(read('LATCH_RATE_EMAIL_ADDRESS') ?? '5/3600', 'LATCH_RATE_EMAIL_ADDRESS'),
      perIp: parseRate(read('LATCH_RATE_EMAIL_IP') ?? '30/3600', 'LATCH_RATE_EMAIL_IP'),
    },
  };
}

/** A whole number of seconds between 60 s and 30 days: a one-time link must neither die at once nor live forever. */
function seconds(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(name, `${shown(value)} is not a whole number of seconds`);
  const n = Number(value);
  if (n < 60 || n > 30 * 86_400) throw new ConfigError(name, 'must be between 60 and 2592000 seconds');
  return n;
}
