import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { MIN_SECRET_LENGTH, type Config } from './config/load-config.js';
import { ConfigError } from './config/config-error.js';
import type { AppContext } from './context.js';
import { PasswordHasher } from './crypto/password.js';
import { randomHex } from './crypto/random.js';
import { Sealer } from './crypto/seal.js';
import { connectDatabase } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { createLogger } from './http/logging.js';
import { outboxMailer, smtpMailer, type Mailer } from './mail/mailer.js';
import { Limiters, type LimiterStore } from './rate-limit/limiters.js';
import { AuthCache } from './sessions/auth-cache.js';
import { connectInvalidationBus } from './sessions/invalidation-bus.js';
import { connectPostgresInvalidationBus } from './sessions/postgres-invalidation-bus.js';
import { ACCESS_TTL_SECONDS as MCP_ACCESS_TTL_SECONDS } from './mcp/oauth/token.js';
import { SigningKeys } from './tokens/signing-keys.js';

export interface OpenOptions {
  clock?: Clock;
  log?: Logger;
  mailer?: Mailer;
  /** Run migrations regardless of LATCH_AUTO_MIGRATE (tests, `latch migrate`). */
  migrate?: boolean;
  /** A long-lived server: SQLite WAL checkpoints and token signatures move to threads of their own. */
  serving?: boolean;
  /** A one-shot CLI command: it announces its revocations to running servers but listens for none. */
  oneShot?: boolean;
}

export interface OpenedContext {
  ctx: AppContext;
  close(): Promise<void>;
}

/** connect → migrate → keys → stores: everything the app and the CLI share. */
export async function openContext(config: Config, options: OpenOptions = {}): Promise<OpenedContext> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(config.logLevel);
  const handle = connectDatabase(config.databaseUrl, {
    backgroundCheckpoint: options.serving,
    onCheckpointError: (message) => log.warn({ error: message }, 'background WAL checkpoint failed'),
  });
  const closers: Array<() => Promise<void>> = [];
  try {
    if (options.migrate ?? config.autoMigrate) await migrateToLatest(handle.db);
    const secret = config.secret ?? readOrCreateSecret(config.dataDir);
    const sealer = new Sealer(secret);
    const keys = new SigningKeys({
      db: handle.db,
      sealer,
      clock,
      issuer: config.publicUrl,
      ttlSeconds: config.accessTokenTtl,
      longestTtlSeconds: Math.max(config.accessTokenTtl, MCP_ACCESS_TTL_SECONDS),
      onReloadFailure: (error) => log.warn({ err: error }, 'could not re-read the signing keys; the ones held stay in use'),
    });
    await keys.load();
    if (options.serving) {
      keys.signOffThread((message) => log.warn({ error: message }, 'signer thread failed; signing on the event loop'));
      closers.push(() => keys.close());
    }

    let store: LimiterStore = { kind: 'memory' };
    let redis: Redis | undefined;
    if (config.redisUrl) {
      redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false });
      await redis.connect();
      closers.push(async () => redis?.disconnect());
      store = { kind: 'redis', client: redis };
    } else if (handle.pgPool) {
      store = { kind: 'postgres', pool: handle.pgPool };
    }
    const limiter = new Limiters(store, config.rateLimitEnabled);
    limiter.register('signInPerEmail', config.rateLimits.signInPerEmail, 'auth/account-locked');
    limiter.register('signInPerIp', config.rateLimits.signInPerIp, 'auth/too-many-login-attempts');
    limiter.register('signUpPerIp', config.rateLimits.signUpPerIp, 'auth/too-many-requests');
    limiter.register('refreshPerSession', config.rateLimits.refreshPerSession, 'auth/too-many-requests');
    // MCP dynamic client registration is unauthenticated (RFC 7591): bound it per IP.
    limiter.register('mcpClientRegistrationPerIp', { points: 30, duration: 3600 }, 'auth/too-many-requests');
    limiter.register('passwordChangePerUser', config.rateLimits.passwordChangePerUser, 'auth/too-many-requests');
    limiter.register('mfaAttemptsPerUser', config.rateLimits.mfaAttemptsPerUser, 'auth/too-many-requests');
    limiter.register('accountsCheckPerIp', config.rateLimits.accountsCheckPerIp, 'auth/too-many-requests');
    limiter.register('invitationsPerInviter', config.rateLimits.invitationsPerInviter, 'auth/too-many-requests');
    limiter.register('dataPerRequester', config.rateLimits.dataPerRequester, 'data/rate-limit-exceeded');
    // auth-api.md §10: email-sending budgets (per IP, per address spacing and hourly cap).
    limiter.register('emailSendPerIp', config.emailFlows.rates.perIp, 'auth/too-many-code-requests');
    limiter.register('emailSendInterval', config.emailFlows.rates.interval, 'auth/too-many-code-requests');
    limiter.register('emailSendPerAddress', config.emailFlows.rates.perAddress, 'auth/too-many-code-requests');
    if (!config.rateLimitEnabled) log.warn('LATCH_RATE_LIMIT=off: every rate limit is disabled (benchmarks and load tests only)');

    const cache = new AuthCache(clock, config.sessionCacheTtl * 1000);
    if (config.redisUrl) closers.push(await connectInvalidationBus(config.redisUrl, cache));
    else if (handle.dialect.multiInstance) {
      const onReconnect = () => log.info('cache invalidation listener reconnected; cache emptied');
      closers.push(await connectPostgresInvalidationBus(config.databaseUrl, handle.db, cache, { listen: !options.oneShot, onReconnect }));
    } else if (handle.foreignWrites) cache.watchForeignWrites(handle.foreignWrites);

    if (!config.smtpUrl && config.nodeEnv === 'production' && !options.mailer) {
      throw new ConfigError('LATCH_SMTP_URL', 'is required when NODE_ENV=production (the dev outbox is refused)');
    }
    const mailer = options.mailer ?? (config.smtpUrl ? smtpMailer(config.smtpUrl, config.mailFrom) : outboxMailer(handle.db, handle.dialect, clock, log));
    closers.push(() => mailer.close());

    const ctx: AppContext = {
      config,
      db: handle.db,
      dialect: handle.dialect,
      clock,
      log,
      mailer,
      keys,
      limiter,
      sealer,
      passwords: new PasswordHasher(config.passwordHash),
      cache,
    };
    return {
      ctx,
      close: async () => {
        for (const close of closers.reverse()) await close().catch(() => {});
        await handle.close();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => {});
    await handle.close().catch(() => {});
    throw error;
  }
}

/**
 * Dev default for LATCH_SECRET: generated once into ./.latch/secret (config.md), owner-only, in an
 * owner-only folder. Written to a temporary file and renamed, so a start killed mid-write cannot leave an
 * empty secret; a file that is still too short (edited by hand, truncated) stops the start, as a short
 * LATCH_SECRET does, instead of sealing keys and signing tokens under a guessable key.
 */
function readOrCreateSecret(dataDir: string): string {
  const path = join(dataDir, 'secret');
  if (existsSync(path)) {
    const secret = readFileSync(path, 'utf8').trim();
    if (secret.length < MIN_SECRET_LENGTH) throw new ConfigError('LATCH_SECRET', `${path} holds fewer than ${MIN_SECRET_LENGTH} characters; delete it to generate a new one (sealed data and sessions are then lost) or set LATCH_SECRET`);
    return secret;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomHex(32);
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${secret}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  return secret;
}
