import { isIP } from 'node:net';
import { ConfigError } from './config-error.js';
import { parseDuration, parseRate, shown, type Rate } from './parse.js';
import { parseMfaConfig, type MfaConfig } from '../mfa/mfa-config.js';
import { parseOauthConfig, type OauthConfig } from '../oauth/oauth-config.js';
import { parseEmailFlowConfig, type EmailFlowConfig } from '../email-flows/email-flow-config.js';
import { parseAuditConfig, type AuditConfig } from '../audit/audit-config.js';

export { ConfigError };

export interface PasswordHashParams {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface RateLimits {
  signInPerEmail: Rate;
  signInPerIp: Rate;
  signUpPerIp: Rate;
  refreshPerSession: Rate;
  passwordChangePerUser: Rate;
  /** Wrong MFA codes per user (auth-api.md §10: 5 per 5 min). */
  mfaAttemptsPerUser: Rate;
  /** A21 look-ups per IP (auth-api.md OP-23: 30 per minute). */
  accountsCheckPerIp: Rate;
  /** A22 invitations (each sends an email) per signed-in inviter: 50 per hour. */
  invitationsPerInviter: Rate;
  /** Data API requests per requester (user id, else client IP): data-and-rls.md §9.3. */
  dataPerRequester: Rate;
}

export interface Config {
  nodeEnv: string;
  host: string;
  port: number;
  publicUrl: string;
  databaseUrl: string;
  redisUrl?: string;
  smtpUrl?: string;
  mailFrom: string;
  allowedRedirectUrls: string[];
  accessTokenTtl: number;
  refreshTokenTtl: number;
  refreshReuseInterval: number;
  /** Undefined means "read or create ./.latch/secret" (server start decides; never in production). */
  secret?: string;
  bootstrapPublishableKey?: string;
  bootstrapSecretKey?: string;
  requireApiKey: boolean;
  logLevel: string;
  rateLimitEnabled: boolean;
  rateLimits: RateLimits;
  passwordHash: PasswordHashParams;
  /** Fastify `trustProxy`: true/false, a list of addresses/CIDRs/named ranges, or "trust N hops". */
  trustProxy: boolean | string | ((address: string, hop: number) => boolean);
  dataDir: string;
  storageDir: string;
  autoMigrate: boolean;
  /** How long another instance may keep serving a revoked session from its cache (seconds). */
  sessionCacheTtl: number;
  bodyLimit: number;
  /** Seconds `serve` waits for in-flight requests after SIGTERM/SIGINT before cutting them. */
  shutdownTimeout: number;
  /** LATCH_MCP_ANONYMOUS_DOCS: search_docs and get_context on /mcp without a token (decisions.md §6). */
  mcpAnonymousDocs: boolean;
  /** LATCH_GOOGLE_* / LATCH_GITHUB_* (config.md) and LATCH_ACCOUNTS_CHECK. */
  oauth: OauthConfig;
  /** LATCH_MFA_ISSUER, LATCH_MFA_DISABLE_REQUIRES_CODE. */
  mfa: MfaConfig;
  /** LATCH_PASSWORD_RESET_TTL, LATCH_EMAIL_VERIFICATION_TTL, LATCH_RATE_EMAIL_* (email flows). */
  emailFlows: EmailFlowConfig;
  /** LATCH_AUDIT_RETENTION_DAYS. */
  audit: AuditConfig;
}


type Env = Record<string, string | undefined>;

// OWASP Password Storage Cheat Sheet: five argon2id settings of equal strength (memory KiB, iterations);
// production refuses anything weaker than all of them (config.md LATCH_PASSWORD_HASH).
const OWASP_ARGON2ID: Array<[memoryCost: number, timeCost: number]> = [[47104, 1], [19456, 2], [12288, 3], [9216, 4], [7168, 5]];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** LATCH_SECRET, and the generated ./.latch/secret file, are refused below this length. */
export const MIN_SECRET_LENGTH = 32;
/**
 * In production LATCH_SECRET is also refused when its characters, counted as they occur, carry fewer
 * bits than this (length × the Shannon entropy of their frequencies): 32 × "x" has 0, "changeme" or
 * "password" four times 88, while `openssl rand -base64 32` has ≥ 188 and `openssl rand -hex 16` is
 * below 90 about twice in a million. It only catches repeated characters and tiny alphabets (a sequence
 * or a sentence passes): a floor against pasted placeholders, not a measure of guessability.
 */
export const MIN_SECRET_BITS = 90;

export function estimatedBits(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  const length = [...counts.values()].reduce((sum, n) => sum + n, 0);
  let bits = 0;
  for (const n of counts.values()) bits -= n * Math.log2(n / length);
  return bits;
}

const KEY_PATTERN = { publishable: /^pk_[a-fA-F0-9]{64}$/, secret: /^sk_[a-fA-F0-9]{64}$/ };

export function loadConfig(env: Env = process.env): Config {
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const nodeEnv = read('NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';

  const port = integer(read('LATCH_PORT') ?? '8080', 'LATCH_PORT', 0, 65535);
  const publicUrl = httpUrl(read('LATCH_PUBLIC_URL') ?? `http://localhost:${port}`, 'LATCH_PUBLIC_URL').replace(/\/$/, '');
  const databaseUrl = parseDatabaseUrl(read('LATCH_DATABASE_URL') ?? 'file:./.latch/latch.db');
  const redisUrl = optionalUrl(read('LATCH_REDIS_URL'), 'LATCH_REDIS_URL', ['redis:', 'rediss:']);
  const smtpUrl = optionalUrl(read('LATCH_SMTP_URL'), 'LATCH_SMTP_URL', ['smtp:', 'smtps:']);

  const secret = read('LATCH_SECRET');
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError('LATCH_SECRET', `must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (production && secret === undefined) {
    throw new ConfigError('LATCH_SECRET', 'is required when NODE_ENV=production');
  }
  if (production && secret !== undefined && estimatedBits(secret) < MIN_SECRET_BITS) {
    throw new ConfigError('LATCH_SECRET', 'looks guessable (repeated or too few different characters); generate one, e.g. openssl rand -base64 32');
  }

  const passwordHash = parseArgon2(read('LATCH_PASSWORD_HASH') ?? 'argon2id:m=19456,t=2,p=1');
  if (production && !OWASP_ARGON2ID.some(([m, t]) => passwordHash.memoryCost >= m && passwordHash.timeCost >= t)) {
    throw new ConfigError('LATCH_PASSWORD_HASH', 'is below the OWASP minimum in production (e.g. m=19456,t=2,p=1 or m=47104,t=1,p=1)');
  }

  const rateLimit = read('LATCH_RATE_LIMIT') ?? 'on';
  if (rateLimit !== 'on' && rateLimit !== 'off') throw new ConfigError('LATCH_RATE_LIMIT', 'must be on or off');

  const logLevel = read('LATCH_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LATCH_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const bootstrapPublishableKey = read('LATCH_BOOTSTRAP_PUBLISHABLE_KEY');
  if (bootstrapPublishableKey && !KEY_PATTERN.publishable.test(bootstrapPublishableKey)) {
    throw new ConfigError('LATCH_BOOTSTRAP_PUBLISHABLE_KEY', 'must match ^pk_[a-fA-F0-9]{64}$');
  }
  const bootstrapSecretKey = read('LATCH_BOOTSTRAP_SECRET_KEY');
  if (bootstrapSecretKey && !KEY_PATTERN.secret.test(bootstrapSecretKey)) {
    throw new ConfigError('LATCH_BOOTSTRAP_SECRET_KEY', 'must match ^sk_[a-fA-F0-9]{64}$');
  }

  const dataDir = read('LATCH_DATA_DIR') ?? './.latch';
  const origin = new URL(publicUrl).origin;
  const allowed = read('LATCH_ALLOWED_REDIRECT_URLS');
  const allowedRedirectUrls = allowed
    ? allowed.split(',').map((entry) => entry.trim()).filter(Boolean)
    : [origin, 'http://localhost:*'];
  for (const entry of allowedRedirectUrls) {
    if (!/^https?:\/\/[^/\s]+/.test(entry)) {
      throw new ConfigError('LATCH_ALLOWED_REDIRECT_URLS', `${shown(entry)} is not an http(s) origin or URL prefix`);
    }
  }

  return {
    nodeEnv,
    host: read('LATCH_HOST') ?? '127.0.0.1',
    port,
    publicUrl,
    databaseUrl,
    redisUrl,
    smtpUrl,
    mailFrom: parseMailFrom(read('LATCH_MAIL_FROM') ?? 'Latch <no-reply@localhost>'),
    allowedRedirectUrls,
    accessTokenTtl: integer(read('LATCH_ACCESS_TOKEN_TTL') ?? '3600', 'LATCH_ACCESS_TOKEN_TTL', 1),
    refreshTokenTtl: integer(read('LATCH_REFRESH_TOKEN_TTL') ?? '604800', 'LATCH_REFRESH_TOKEN_TTL', 1),
    refreshReuseInterval: integer(read('LATCH_REFRESH_REUSE_INTERVAL') ?? '10', 'LATCH_REFRESH_REUSE_INTERVAL', 0),
    secret,
    bootstrapPublishableKey,
    bootstrapSecretKey,
    requireApiKey: boolean(read('LATCH_REQUIRE_API_KEY') ?? 'true', 'LATCH_REQUIRE_API_KEY'),
    logLevel,
    rateLimitEnabled: rateLimit === 'on',
    rateLimits: {
      signInPerEmail: parseRate(read('LATCH_RATE_SIGNIN_EMAIL') ?? '5/900', 'LATCH_RATE_SIGNIN_EMAIL'),
      signInPerIp: parseRate(read('LATCH_RATE_SIGNIN_IP') ?? '20/900', 'LATCH_RATE_SIGNIN_IP'),
      signUpPerIp: parseRate(read('LATCH_RATE_SIGNUP_IP') ?? '3/3600', 'LATCH_RATE_SIGNUP_IP'),
      refreshPerSession: parseRate(read('LATCH_RATE_REFRESH_SESSION') ?? '10/60', 'LATCH_RATE_REFRESH_SESSION'),
      passwordChangePerUser: parseRate(read('LATCH_RATE_PASSWORD_CHANGE_USER') ?? '5/900', 'LATCH_RATE_PASSWORD_CHANGE_USER'),
      mfaAttemptsPerUser: parseRate(read('LATCH_RATE_MFA_USER') ?? '5/300', 'LATCH_RATE_MFA_USER'),
      accountsCheckPerIp: parseRate(read('LATCH_RATE_ACCOUNTS_CHECK_IP') ?? '30/60', 'LATCH_RATE_ACCOUNTS_CHECK_IP'),
      invitationsPerInviter: parseRate(read('LATCH_RATE_INVITATIONS_USER') ?? '50/3600', 'LATCH_RATE_INVITATIONS_USER'),
      dataPerRequester: parseRate(read('LATCH_RATE_DATA') ?? '600/60', 'LATCH_RATE_DATA'),
    },
    oauth: parseOauthConfig(read),
    mfa: parseMfaConfig(read),
    emailFlows: parseEmailFlowConfig(read),
    audit: parseAuditConfig(read),
    passwordHash,
    trustProxy: parseTrustProxy(read('LATCH_TRUST_PROXY') ?? 'false'),
    dataDir,
    storageDir: read('LATCH_STORAGE_DIR') ?? `${dataDir}/storage`,
    autoMigrate: boolean(read('LATCH_AUTO_MIGRATE') ?? 'true', 'LATCH_AUTO_MIGRATE'),
    sessionCacheTtl: parseDuration(read('LATCH_SESSION_CACHE_TTL') ?? '5', 'LATCH_SESSION_CACHE_TTL'),
    bodyLimit: integer(read('LATCH_BODY_LIMIT') ?? String(1024 * 1024), 'LATCH_BODY_LIMIT', 1024),
    shutdownTimeout: parseDuration(read('LATCH_SHUTDOWN_TIMEOUT') ?? '10', 'LATCH_SHUTDOWN_TIMEOUT'),
    mcpAnonymousDocs: boolean(read('LATCH_MCP_ANONYMOUS_DOCS') ?? 'false', 'LATCH_MCP_ANONYMOUS_DOCS'),
  };
}

function integer(value: string, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `${shown(value)} is not a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return n;
}

function boolean(value: string, name: string): boolean {
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, 'must be true or false');
}

function httpUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `${shown(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, 'must be an http(s) URL');
  return url.toString();
}

/** `file:PATH` = SQLite (`file::memory:` for tests), `postgres://…` = PostgreSQL; nothing else. */
function parseDatabaseUrl(value: string): string {
  if (value.startsWith('file:')) {
    if (value.length === 'file:'.length) throw new ConfigError('LATCH_DATABASE_URL', 'file: needs a path, e.g. file:./.latch/latch.db');
    return value;
  }
  if (!/^postgres(ql)?:\/\//.test(value)) {
    throw new ConfigError('LATCH_DATABASE_URL', 'must start with file: (SQLite) or postgres:// (PostgreSQL)');
  }
  try {
    new URL(value);
  } catch {
    // The value may hold a password: never repeat it.
    throw new ConfigError('LATCH_DATABASE_URL', 'is not a valid postgres:// URL');
  }
  return value;
}

/** `Name <address>` or a bare address: a From header nodemailer can send. */
function parseMailFrom(value: string): string {
  if (!/^([^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/.test(value)) {
    throw new ConfigError('LATCH_MAIL_FROM', `${shown(value)} is not an address like "Latch <no-reply@example.com>"`);
  }
  return value;
}

function optionalUrl(value: string | undefined, name: string, protocols: string[]): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, 'is not a URL');
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
  return value;
}

function parseArgon2(value: string): PasswordHashParams {
  const match = /^argon2id:m=(\d+),t=(\d+),p=(\d+)$/.exec(value);
  if (!match) throw new ConfigError('LATCH_PASSWORD_HASH', 'must look like argon2id:m=19456,t=2,p=1');
  const [memoryCost, timeCost, parallelism] = match.slice(1).map(Number);
  if (parallelism < 1 || timeCost < 1 || memoryCost < 8 * parallelism) {
    throw new ConfigError('LATCH_PASSWORD_HASH', 'needs t >= 1, p >= 1 and m >= 8*p');
  }
  return { memoryCost, timeCost, parallelism };
}

const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** Checked here so a typo is a one-line ConfigError, not a crash inside Fastify's proxy-addr at start. */
function parseTrustProxy(value: string): Config['trustProxy'] {
  if (value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) {
    // A hop count (platforms whose load balancers change address): trust the nearest N proxies.
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  for (const entry of value.split(',').map((e) => e.trim())) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!PROXY_RANGES.includes(entry) && (family === 0 || !prefixOk || extra !== undefined)) {
      throw new ConfigError('LATCH_TRUST_PROXY', `${shown(entry)} is not true, false, a hop count, an IP, a CIDR or one of ${PROXY_RANGES.join(', ')}`);
    }
  }
  return value;
}
