import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVER_PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(SERVER_PACKAGE, 'bin', 'latch.js');
export const BUILT = existsSync(join(SERVER_PACKAGE, 'dist', 'cli', 'main.js'));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The built `latch serve` in its own OS process, as an operator would run it. */
export async function spawnServer(env: Record<string, string>, cwd = SERVER_PACKAGE): Promise<ServerProcess> {
  const port = env.LATCH_PORT ?? String(await freePort());
  const child = spawn(process.execPath, [CLI, 'serve'], { cwd, env: { ...process.env, ...env, LATCH_PORT: port }, stdio: 'pipe' });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('Latch is listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`server exited:\n${out}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
