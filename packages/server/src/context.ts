import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from './clock.js';
import type { Config } from './config/load-config.js';
import type { PasswordHasher } from './crypto/password.js';
import type { Sealer } from './crypto/seal.js';
import type { DialectFlags } from './db/dialect.js';
import type { Database } from './db/types.js';
import type { Mailer } from './mail/mailer.js';
import type { Limiters } from './rate-limit/limiters.js';
import type { AuthCache } from './sessions/auth-cache.js';
import type { SigningKeys } from './tokens/signing-keys.js';

/** Everything a capability needs, passed explicitly: plain functions take (ctx, input). */
export interface AppContext {
  config: Config;
  db: Kysely<Database>;
  dialect: DialectFlags;
  clock: Clock;
  log: FastifyBaseLogger;
  mailer: Mailer;
  keys: SigningKeys;
  limiter: Limiters;
  sealer: Sealer;
  passwords: PasswordHasher;
  cache: AuthCache;
}
