// Secrets at rest: the sealer's format is strict, the generated secret cannot be empty or short, the
// data folder and database are owner-only, and a bad configuration value cannot forge a second line.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openContext } from '../bootstrap.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { createLogger } from '../http/logging.js';
import { Sealer } from './seal.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-secrets-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('Sealer (AES-256-GCM) format strictness', () => {
  const sealer = new Sealer('test-secret-0123456789abcdef0123456789');

  it('refuses a sealed value whose GCM tag was truncated to 4 bytes (forgery cost 2^32, not 2^128)', () => {
    const sealed = sealer.seal('signing-key', '{"d":"private"}');
    const [v, iv, tag, body] = sealed.split('.');
    const short = Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => sealer.open('signing-key', [v, iv, short, body].join('.'))).toThrow();
  });

  it('refuses non-canonical spellings of a sealed value (spare base64url bits, extra segments)', () => {
    const sealed = sealer.seal('mfa-totp-secret', 'JBSWY3DPEHPK3PXP');
    const [v, iv, tag, body] = sealed.split('.');
    // 16-byte tag = 22 chars: the last char carries 2 data bits and 4 spare bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(tag.at(-1)!);
    const respelled = tag.slice(0, -1) + alphabet[last ^ 0b0001];
    expect(respelled).not.toBe(tag);
    expect(() => sealer.open('mfa-totp-secret', [v, iv, respelled, body].join('.'))).toThrow();
    expect(() => sealer.open('mfa-totp-secret', `${sealed}.trailing-junk`)).toThrow();
  });
});

describe('dev-default LATCH_SECRET file ./.latch/secret (bootstrap.ts readOrCreateSecret)', () => {
  const log = createLogger('silent');

  /** What opening a server context over `dataDir` throws (undefined when it opens). */
  async function openingError(dataDir: string): Promise<unknown> {
    const config = loadConfig({ LATCH_DATABASE_URL: 'file::memory:', LATCH_DATA_DIR: dataDir, LATCH_LOG_LEVEL: 'silent' });
    try {
      const opened = await openContext(config, { log, migrate: true });
      await opened.close();
      return undefined;
    } catch (error) {
      return error;
    }
  }

  it.each([
    ['empty (a first start killed mid-write)', ''],
    ['shorter than the 32 characters LATCH_SECRET must have', 'abc\n'],
  ])('refuses a secret file that is %s, naming it, instead of sealing and signing under a guessable key', async (_case, content) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'secret'), content, { mode: 0o600 });
    const error = await openingError(dir);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(join(dir, 'secret'));
    expect((error as ConfigError).variable).toBe('LATCH_SECRET');
  });

  it('generates a 64-hex secret once, owner-only, and reads it back on the next start', async () => {
    const dir = join(tempDir(), 'new');
    expect(await openingError(dir)).toBeUndefined();
    const first = readFileSync(join(dir, 'secret'), 'utf8');
    expect(first).toMatch(/^[0-9a-f]{64}\n$/);
    expect((statSync(join(dir, 'secret')).mode & 0o777).toString(8)).toBe('600');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(await openingError(dir)).toBeUndefined();
    expect(readFileSync(join(dir, 'secret'), 'utf8')).toBe(first);
  });
});

describe('files under LATCH_DATA_DIR are owner-only', () => {
  it('the data directory and the SQLite database (password hashes, outbox mails with reset links) are not readable by other users', async () => {
    const dir = join(tempDir(), 'fresh');
    const config = loadConfig({ LATCH_DATABASE_URL: `file:${join(dir, 'latch.db')}`, LATCH_DATA_DIR: dir, LATCH_LOG_LEVEL: 'silent' });
    const opened = await openContext(config, { log: createLogger('silent'), migrate: true });
    await opened.close();
    expect((statSync(join(dir, 'secret')).mode & 0o777).toString(8)).toBe('600');
    // SQLite gives its -wal and -shm files the database file's mode.
    for (const file of ['latch.db', 'latch.db-wal', 'latch.db-shm'].filter((name) => existsSync(join(dir, name)))) {
      expect((statSync(join(dir, file)).mode & 0o077).toString(8), `${file} group/other bits`).toBe('0');
    }
    expect((statSync(dir).mode & 0o077).toString(8), 'data dir group/other bits').toBe('0');
  });
});

describe('config errors stay on one line (config.md)', () => {
  it.each(['LATCH_GOOGLE_TOKEN_URL', 'LATCH_GITHUB_API_URL', 'LATCH_GOOGLE_AUTHORIZE_URL'])(
    '%s with a newline in a bad value does not split the error line',
    (variable) => {
      let error: unknown;
      try {
        loadConfig({ [variable]: 'not a url\nLATCH_SECRET=forged-line' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).not.toMatch(/[\r\n]/);
    },
  );
});
