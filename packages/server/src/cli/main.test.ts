import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { cliDatabase, runCli } from '../../test/setup/cli-harness.js';

describe('latch <command> dispatch', () => {
  it.each([['frobnicate'], ['KEYS'], ['--serve']])('unknown command %s exits 1 with the usage', async (command) => {
    const run = await runCli([command], {});
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toContain(`unknown command "${command}"`);
    expect(run.err.join('\n')).toContain('usage: latch <command>');
  });

  it('no command prints the usage and exits 1; help exits 0', async () => {
    expect((await runCli([], {})).code).toBe(1);
    const help = await runCli(['help'], {});
    expect(help.code).toBe(0);
    expect(help.out.join('\n')).toMatch(/serve[\s\S]*migrate[\s\S]*keys create[\s\S]*users create/);
  });

  it.each([
    [['serve'], { LATCH_PORT: 'http' }, 'LATCH_PORT'],
    [['migrate'], { LATCH_DATABASE_URL: 'mysql://db/latch' }, 'LATCH_DATABASE_URL'],
    [['keys', 'list'], { LATCH_ACCESS_TOKEN_TTL: '-1' }, 'LATCH_ACCESS_TOKEN_TTL'],
    [['users', 'create', '--email', 'a@b.co'], { LATCH_REDIS_URL: 'localhost' }, 'LATCH_REDIS_URL'],
    [['serve'], { NODE_ENV: 'production' }, 'LATCH_SECRET'],
    [['serve'], { LATCH_RATE_SIGNUP_IP: 'lots' }, 'LATCH_RATE_SIGNUP_IP'],
  ])('%j with a bad variable prints one line naming it and exits 1', async (argv, env, variable) => {
    const run = await runCli(argv, env as Record<string, string>);
    expect(run.code).toBe(1);
    expect(run.out).toEqual([]);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(new RegExp(`^latch: configuration error: ${variable}: `));
    expect(run.err[0]).not.toContain('\n');
  });

  it('refuses unknown options instead of ignoring them', async () => {
    const run = await runCli(['keys', 'list', '--verbose'], { LATCH_DATABASE_URL: 'file::memory:', LATCH_SECRET: 'x'.repeat(32) });
    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(/^latch: .*verbose/);
  });
});

describe.each(dialects)('latch migrate (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof cliDatabase>>;
  beforeAll(async () => {
    db = await cliDatabase(dialect);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('applies every migration once; a second run is a no-op', async () => {
    const first = await runCli(['migrate'], db.env);
    expect(first.code).toBe(0);
    expect(first.out[0]).toMatch(/^Applied: 0001_foundation, 0002_/);
    const second = await runCli(['migrate'], db.env);
    expect(second).toEqual({ code: 0, out: ['Database is up to date'], err: [] });
  });
});

describe('the CLI in production', () => {
  it('manages keys without LATCH_SMTP_URL (the shell sends no mail), while serve still refuses to start without it', async () => {
    const db = await cliDatabase('sqlite');
    const env = { ...db.env, NODE_ENV: 'production', LATCH_PASSWORD_HASH: 'argon2id:m=19456,t=2,p=1' };
    try {
      const created = await runCli(['keys', 'create', '--type', 'secret'], env);
      expect(created.code).toBe(0);
      expect(created.out[0]).toMatch(/^sk_[0-9a-f]{64}$/);
      expect((await runCli(['keys', 'list'], env)).code).toBe(0);
      const serve = await runCli(['serve'], { ...env, LATCH_PORT: '0' });
      expect(serve.code).toBe(1);
      expect(serve.err[0]).toMatch(/^latch: configuration error: LATCH_SMTP_URL: /);
    } finally {
      await db.drop();
    }
  });
});
