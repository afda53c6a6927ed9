import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/factories.js';
import { CLI, ensureBuiltCli } from '../setup/built-cli.js';

/**
 * config.md "npm ci && npm start": the built CLI, in an empty working directory, with nothing configured
 * but a port. It must serve /health, print one publishable and one secret key on the first start only,
 * and those keys must work for sign-up and sign-in over HTTP.
 */
const build = ensureBuiltCli();
if (!build.ok) console.warn(`[fresh-start] SKIPPED: ${build.reason}`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** A clean environment: what an operator's shell has on a fresh machine, plus LATCH_PORT. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

function spawnCli(cwd: string, env: Record<string, string>, args = ['serve']) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cleanEnv(env), stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

async function serve(cwd: string, port: number): Promise<Started> {
  const run = spawnCli(cwd, { LATCH_PORT: String(port) });
  let exited = false;
  void run.exit.then(() => (exited = true));
  await expect.poll(() => exited || run.stdout().includes('Latch is listening'), { timeout: 60_000, interval: 50 }).toBe(true);
  if (exited) throw new Error(`latch serve exited early:\n${run.stdout()}\n${run.stderr()}`);
  return { ...run, url: `http://127.0.0.1:${port}` };
}

async function call(url: string, method: string, path: string, key: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = { 'x-api-key': key };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

// Without a build (outside CI only: ensureBuiltCli throws with CI=true) the suite is absent, its reason printed above.
describe.each(build.ok ? ['built CLI'] : [])('a fresh start of the %s', () => {
  let cwd: string;
  let port: number;
  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'latch-fresh-'));
    port = await freePort();
  });
  afterAll(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('serves /health, prints two keys once, and the publishable key signs up and in', async () => {
    const first = await serve(cwd, port);
    let pk: string;
    try {
      const printed = first.stdout();
      const pks: string[] = printed.match(/pk_[0-9a-f]{64}/g) ?? [];
      const sks: string[] = printed.match(/sk_[0-9a-f]{64}/g) ?? [];
      expect({ pks: pks.length, sks: sks.length }).toEqual({ pks: 1, sks: 1 });
      pk = pks[0];

      const health = await fetch(`${first.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', database: 'ok', dialect: 'sqlite' });

      const email = uniqueEmail('fresh');
      const up = await call(first.url, 'POST', '/v1/auth/email/signup', pk, { method: 'password', email, password: STRONG_PASSWORD, name: 'Fresh Start' });
      expect(up.status).toBe(201);
      const inn = await call(first.url, 'POST', '/v1/auth/email/signin', pk, { method: 'password', email, password: STRONG_PASSWORD });
      expect(inn.status).toBe(200);
      const me = await call(first.url, 'GET', '/v1/auth/me', pk, undefined, inn.body.accessToken);
      expect(me.body).toMatchObject({ email, name: 'Fresh Start', role: 'user' });

      // The embedded default: SQLite and a generated secret under ./.latch/, the secret owner-only.
      expect(existsSync(join(cwd, '.latch', 'latch.db'))).toBe(true);
      expect(statSync(join(cwd, '.latch', 'secret')).mode & 0o777).toBe(0o600);
      // Printed once on stdout, never logged: the key appears exactly once in all output.
      expect((first.stdout() + first.stderr()).split(pk).length - 1).toBe(1);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exit).toBe(0);

    const second = await serve(cwd, port);
    try {
      expect(second.stdout()).not.toMatch(/[ps]k_[0-9a-f]{64}/);
      const again = await call(second.url, 'POST', '/v1/auth/email/signup', pk!, { method: 'password', email: uniqueEmail('again'), password: STRONG_PASSWORD, name: 'Again' });
      expect(again.status).toBe(201);
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exit).toBe(0);
  }, 120_000);

  it('stops at a bad variable with one line naming it', async () => {
    const run = spawnCli(cwd, { LATCH_PORT: 'not-a-port' });
    expect(await run.exit).toBe(1);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^latch: configuration error: LATCH_PORT: /);
  }, 60_000);

  it('latch migrate applies nothing after serve did, and keys list shows the two first-start keys', async () => {
    const migrate = spawnCli(cwd, {}, ['migrate']);
    expect(await migrate.exit).toBe(0);
    expect(migrate.stdout().trim()).toBe('Database is up to date');
    const list = spawnCli(cwd, {}, ['keys', 'list']);
    expect(await list.exit).toBe(0);
    expect(list.stdout()).toMatch(/default-publishable\tpublishable/);
    expect(list.stdout()).toMatch(/default-secret\tsecret/);
  }, 60_000);
});
