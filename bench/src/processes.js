// One process per system under test (fork + IPC), so the load generator and the servers never share
// an event loop. Every child is stopped at the end, also when the run fails.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVERS = fileURLToPath(new URL('./servers/', import.meta.url));
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * @param {string} name label for messages
 * @param {string} script file in src/servers/
 * @param {Record<string, string>} env added to a copy of process.env
 * @param {{ execArgv?: string[] }} [options]
 */
export async function startChild(name, script, env, options = {}) {
  const child = fork(SERVERS + script, [], {
    env: { ...process.env, ...env },
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
    process.stderr.write(`[${name}] ${chunk}`);
  });
  const pending = new Map();
  let nextId = 1;
  let exited = false;
  const exitedPromise = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = true;
    for (const { reject } of pending.values()) reject(new Error(`${name} exited (${signal ?? code}) during a measurement`));
    resolve();
  }));

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${READY_TIMEOUT_MS / 1000}s`)), READY_TIMEOUT_MS);
    child.on('message', (message) => {
      if (message?.type === 'ready') {
        clearTimeout(timer);
        resolve(message.url);
      } else if (message?.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${name} failed to start:\n${message.error}`));
      } else if (message?.type === 'result') {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(`${name}: ${message.error}`));
        else waiter?.resolve(message.result);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready${stderr ? `:\n${stderr}` : ''}`));
    });
  });

  return {
    name,
    url,
    pid: child.pid,
    /** Ask the child to do something and wait for its answer (the argon2 ceiling's measurements). */
    request(message) {
      if (exited) return Promise.reject(new Error(`${name} is not running`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...message, id });
      });
    },
    /** Graceful stop (lets --cpu-prof write its file); a child that hangs is killed after a bound. */
    async stop() {
      if (exited) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}
