import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';

const SECRET = 'Zx4Qv9LmT2pW8rN5kJ7hB3cD6fG1sY0a'; // 32 distinct characters
const PK = `pk_${'ab'.repeat(32)}`;
const SK = `sk_${'cd'.repeat(32)}`;

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig defaults (config.md)', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://localhost:8080',
      databaseUrl: 'file:./.latch/latch.db',
      mailFrom: 'Latch <no-reply@localhost>',
      allowedRedirectUrls: ['http://localhost:8080', 'http://localhost:*'],
      accessTokenTtl: 3600,
      refreshTokenTtl: 604800,
      refreshReuseInterval: 10,
      requireApiKey: true,
      logLevel: 'info',
      rateLimitEnabled: true,
      rateLimits: {
        signInPerEmail: { points: 5, duration: 900 },
        signInPerIp: { points: 20, duration: 900 },
        signUpPerIp: { points: 3, duration: 3600 },
        refreshPerSession: { points: 10, duration: 60 },
      },
      passwordHash: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
      trustProxy: false,
      dataDir: './.latch',
      storageDir: './.latch/storage',
      autoMigrate: true,
      bodyLimit: 1024 * 1024,
    });
    expect(config.redisUrl).toBeUndefined();
    expect(config.smtpUrl).toBeUndefined();
    expect(config.secret).toBeUndefined();
    expect(config.bootstrapPublishableKey).toBeUndefined();
    expect(config.bootstrapSecretKey).toBeUndefined();
  });

  it('derives the public URL and the redirect allow-list from the port', () => {
    const config = loadConfig({ LATCH_PORT: '9123' });
    expect(config.publicUrl).toBe('http://localhost:9123');
    expect(config.allowedRedirectUrls).toEqual(['http://localhost:9123', 'http://localhost:*']);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['127.0.0.1', '127.0.0.1'],
    ['10.0.0.0/8, 192.168.1.1', '10.0.0.0/8, 192.168.1.1'],
    ['loopback,::1,fd00::/8', 'loopback,::1,fd00::/8'],
  ])('LATCH_TRUST_PROXY=%s → %j (Fastify trustProxy)', (value, expected) => {
    expect(loadConfig({ LATCH_TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('LATCH_TRUST_PROXY=N trusts the nearest N proxies', () => {
    const trust = loadConfig({ LATCH_TRUST_PROXY: '2' }).trustProxy as (address: string, hop: number) => boolean;
    expect([0, 1, 2, 3].map((hop) => trust('10.0.0.1', hop))).toEqual([true, true, false, false]);
  });

  it('treats blank variables as unset instead of as values', () => {
    expect(loadConfig({ LATCH_PORT: '  ', LATCH_REDIS_URL: '' }).port).toBe(8080);
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      LATCH_HOST: '0.0.0.0',
      LATCH_PORT: '3000',
      LATCH_PUBLIC_URL: 'https://auth.example.com/',
      LATCH_DATABASE_URL: 'postgres://latch@db:5432/latch',
      LATCH_REDIS_URL: 'redis://cache:6379',
      LATCH_SMTP_URL: 'smtps://user:pass@mail.example.com:465',
      LATCH_MAIL_FROM: 'Example <auth@example.com>',
      LATCH_ALLOWED_REDIRECT_URLS: 'https://app.example.com, http://localhost:*,https://example.com/cb/',
      LATCH_ACCESS_TOKEN_TTL: '900',
      LATCH_REFRESH_TOKEN_TTL: '86400',
      LATCH_REFRESH_REUSE_INTERVAL: '0',
      LATCH_SECRET: SECRET,
      LATCH_BOOTSTRAP_PUBLISHABLE_KEY: PK,
      LATCH_BOOTSTRAP_SECRET_KEY: SK,
      LATCH_REQUIRE_API_KEY: 'false',
      LATCH_LOG_LEVEL: 'debug',
      LATCH_RATE_LIMIT: 'off',
      LATCH_PASSWORD_HASH: 'argon2id:m=47104,t=1,p=1',
      LATCH_RATE_SIGNUP_IP: '3/3600',
      LATCH_TRUST_PROXY: '10.0.0.0/8',
      LATCH_STORAGE_DIR: '/var/lib/latch/files',
      LATCH_AUTO_MIGRATE: 'false',
      LATCH_BODY_LIMIT: '2048',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 3000,
      publicUrl: 'https://auth.example.com',
      databaseUrl: 'postgres://latch@db:5432/latch',
      redisUrl: 'redis://cache:6379',
      smtpUrl: 'smtps://user:pass@mail.example.com:465',
      mailFrom: 'Example <auth@example.com>',
      allowedRedirectUrls: ['https://app.example.com', 'http://localhost:*', 'https://example.com/cb/'],
      accessTokenTtl: 900,
      refreshTokenTtl: 86400,
      refreshReuseInterval: 0,
      secret: SECRET,
      bootstrapPublishableKey: PK,
      bootstrapSecretKey: SK,
      requireApiKey: false,
      logLevel: 'debug',
      rateLimitEnabled: false,
      passwordHash: { memoryCost: 47104, timeCost: 1, parallelism: 1 },
      trustProxy: '10.0.0.0/8',
      storageDir: '/var/lib/latch/files',
      autoMigrate: false,
      bodyLimit: 2048,
    });
    expect(config.rateLimits.signUpPerIp).toEqual({ points: 3, duration: 3600 });
  });

  it('never writes process.env', () => {
    const before = JSON.stringify(process.env);
    loadConfig({ LATCH_PORT: '1234' });
    expect(JSON.stringify(process.env)).toBe(before);
  });
});

describe('a bad variable is a ConfigError naming it, on one line (config.md)', () => {
  it.each([
    ['LATCH_PORT', 'eighty'],
    ['LATCH_PORT', '-1'],
    ['LATCH_PORT', '70000'],
    ['LATCH_PORT', '80.5'],
    ['LATCH_PUBLIC_URL', 'not a url'],
    ['LATCH_PUBLIC_URL', 'ftp://example.com'],
    ['LATCH_DATABASE_URL', 'mysql://localhost/latch'],
    ['LATCH_DATABASE_URL', './latch.db'],
    ['LATCH_DATABASE_URL', 'postgres://bad host/x'],
    ['LATCH_DATABASE_URL', 'file:'],
    ['LATCH_REDIS_URL', 'localhost:6379'],
    ['LATCH_REDIS_URL', 'http://cache:6379'],
    ['LATCH_SMTP_URL', 'mail.example.com:25'],
    ['LATCH_SMTP_URL', 'imap://mail.example.com'],
    ['LATCH_MAIL_FROM', 'nobody'],
    ['LATCH_ALLOWED_REDIRECT_URLS', 'javascript:alert(1)'],
    ['LATCH_ALLOWED_REDIRECT_URLS', 'https://ok.example.com,*'],
    ['LATCH_ACCESS_TOKEN_TTL', '-60'],
    ['LATCH_ACCESS_TOKEN_TTL', '0'],
    ['LATCH_ACCESS_TOKEN_TTL', '1h'],
    ['LATCH_REFRESH_TOKEN_TTL', '-1'],
    ['LATCH_REFRESH_REUSE_INTERVAL', '-1'],
    ['LATCH_SECRET', 'too-short'],
    ['LATCH_BOOTSTRAP_PUBLISHABLE_KEY', SK],
    ['LATCH_BOOTSTRAP_PUBLISHABLE_KEY', 'pk_123'],
    ['LATCH_BOOTSTRAP_SECRET_KEY', PK],
    ['LATCH_REQUIRE_API_KEY', 'maybe'],
    ['LATCH_LOG_LEVEL', 'verbose'],
    ['LATCH_RATE_LIMIT', 'disabled'],
    ['LATCH_RATE_SIGNUP_IP', '3 per hour'],
    ['LATCH_RATE_SIGNUP_IP', '0/3600'],
    ['LATCH_RATE_SIGNIN_EMAIL', '5/0'],
    ['LATCH_RATE_SIGNIN_IP', 'x'],
    ['LATCH_RATE_REFRESH_SESSION', '-1/60'],
    ['LATCH_PASSWORD_HASH', 'bcrypt:10'],
    ['LATCH_PASSWORD_HASH', 'argon2id:m=4,t=1,p=1'],
    ['LATCH_PASSWORD_HASH', 'argon2id:m=19456,t=0,p=1'],
    ['LATCH_AUTO_MIGRATE', 'sometimes'],
    ['LATCH_SESSION_CACHE_TTL', '-5'],
    ['LATCH_BODY_LIMIT', '10'],
    ['LATCH_BODY_LIMIT', 'big'],
    ['LATCH_TRUST_PROXY', 'yes please'],
    ['LATCH_TRUST_PROXY', '10.0.0.0/99'],
    ['LATCH_TRUST_PROXY', '10.0.0.1,proxy.internal'],
  ])('%s=%j', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it('keeps the line single even when the bad value holds a newline', () => {
    const error = configError({ LATCH_PORT: '80\nLATCH_SECRET=leaked' });
    expect(error.variable).toBe('LATCH_PORT');
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it('never repeats a secret value in the message', () => {
    const error = configError({ LATCH_SECRET: 'hunter2-short' });
    expect(error.message).not.toContain('hunter2');
    const smtp = configError({ LATCH_SMTP_URL: 'imap://user:topsecret@mail.example.com' });
    expect(smtp.message).not.toContain('topsecret');
  });
});

describe('production rules', () => {
  const prod = (env: Record<string, string> = {}) => ({ NODE_ENV: 'production', LATCH_SECRET: SECRET, LATCH_SMTP_URL: 'smtp://mail:25', ...env });

  it('accepts a complete production environment', () => {
    expect(loadConfig(prod()).nodeEnv).toBe('production');
  });

  it('requires LATCH_SECRET (no generated ./.latch/secret in production)', () => {
    const error = configError({ NODE_ENV: 'production', LATCH_SMTP_URL: 'smtp://mail:25' });
    expect(error.variable).toBe('LATCH_SECRET');
  });

  it.each([
    ['32 × "x"', 'x'.repeat(32)],
    ['a placeholder, repeated', 'changeme'.repeat(4)],
    ['a word, repeated', 'secret'.repeat(6)],
    ['two characters', 'ab'.repeat(24)],
  ])('refuses a LATCH_SECRET that looks guessable: %s (without repeating it)', (_label, secret) => {
    const error = configError(prod({ LATCH_SECRET: secret }));
    expect(error.variable).toBe('LATCH_SECRET');
    expect(error.message).toMatch(/looks guessable/);
    expect(error.message).not.toContain(secret.slice(0, 8));
  });

  it.each([
    ['openssl rand -base64 32', 'q3V0mY8c1kQzJ5s9HcX2bN7eR4tLwP6uA1dGfK0iZ8o='],
    ['openssl rand -hex 16', '9f86d081884c7d659a2feaa0c55ad015'],
    ['a passphrase', 'stapled orbit lantern quiver mango fjord'],
  ])('accepts a LATCH_SECRET made like %s', (_label, secret) => {
    expect(loadConfig(prod({ LATCH_SECRET: secret })).nodeEnv).toBe('production');
  });

  it('outside production a guessable secret of the right length still starts (tests, local tries)', () => {
    expect(() => loadConfig({ LATCH_SECRET: 'x'.repeat(32) })).not.toThrow();
  });

  it.each(['argon2id:m=64,t=1,p=1', 'argon2id:m=19456,t=1,p=1', 'argon2id:m=7168,t=4,p=1', 'argon2id:m=12288,t=2,p=1'])(
    'refuses %s, below every OWASP argon2id configuration',
    (value) => {
      expect(configError(prod({ LATCH_PASSWORD_HASH: value })).variable).toBe('LATCH_PASSWORD_HASH');
    },
  );

  // OWASP Password Storage Cheat Sheet: these five argon2id settings are equally strong.
  it.each(['argon2id:m=47104,t=1,p=1', 'argon2id:m=19456,t=2,p=1', 'argon2id:m=12288,t=3,p=1', 'argon2id:m=9216,t=4,p=1', 'argon2id:m=7168,t=5,p=1', 'argon2id:m=65536,t=3,p=4'])(
    'accepts %s, an OWASP-equivalent configuration',
    (value) => {
      expect(loadConfig(prod({ LATCH_PASSWORD_HASH: value })).passwordHash.memoryCost).toBeGreaterThan(0);
    },
  );

  it('allows cheap hashing outside production (tests)', () => {
    expect(loadConfig({ LATCH_PASSWORD_HASH: 'argon2id:m=64,t=1,p=1' }).passwordHash).toEqual({ memoryCost: 64, timeCost: 1, parallelism: 1 });
  });
});
