import { ConfigError } from '../config/config-error.js';

type Read = (name: string) => string | undefined;

export interface MfaConfig {
  /** `issuer` of the otpauth:// URI, shown by authenticator apps (auth-api.md A15). */
  issuer: string;
  /** A17 needs a current code as well as the password (auth-api.md OP-16); `false` relaxes it. */
  disableRequiresCode: boolean;
}

export function parseMfaConfig(read: Read): MfaConfig {
  const issuer = read('LATCH_MFA_ISSUER') ?? 'Latch';
  if (issuer.includes(':') || issuer.length > 64) throw new ConfigError('LATCH_MFA_ISSUER', 'must be at most 64 characters without ":"');
  const relax = read('LATCH_MFA_DISABLE_REQUIRES_CODE') ?? 'true';
  if (!['true', 'false'].includes(relax)) throw new ConfigError('LATCH_MFA_DISABLE_REQUIRES_CODE', 'must be true or false');
  return { issuer, disableRequiresCode: relax === 'true' };
}
