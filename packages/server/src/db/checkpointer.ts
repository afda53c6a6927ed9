import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite checkpoints off the event loop. With the default `wal_autocheckpoint`, whichever commit crosses
 * 1,000 WAL pages copies them into the database and fsyncs, on the event loop: on a VM disk that stalls
 * every request for milliseconds several times a second under write load (bench/PROFILE.md). The serving
 * connection raises its own threshold to a safety net and a worker thread, with its own connection,
 * runs PASSIVE checkpoints (never blocking readers or writers) every `intervalMs`.
 */
export interface Checkpointer {
  /** Resolves after the next checkpoint the worker finished, with SQLite's [busy, log, checkpointed]. */
  next(): Promise<[number, number, number]>;
  stop(): Promise<void>;
}

// CommonJS source for an eval'd worker: a separate file would not run from the TypeScript sources (tests).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage([row.busy, row.log, row.checkpointed]);
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'stop') {
    clearInterval(timer);
    checkpoint();
    db.close();
    parentPort.close();
  }
});
`;

export function startCheckpointer(path: string, options: { intervalMs?: number; onError?: (message: string) => void } = {}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path, intervalMs: options.intervalMs ?? 250 } });
  worker.unref();
  let waiters: Array<(result: [number, number, number]) => void> = [];
  worker.on('message', (message: [number, number, number] | { error: string }) => {
    if (!Array.isArray(message)) return options.onError?.(message.error);
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve(message);
  });
  worker.on('error', (error) => options.onError?.(error.message));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    next: () => new Promise((resolve) => waiters.push(resolve)),
    async stop() {
      worker.postMessage('stop');
      // A worker stuck on a lock must not hold the shutdown: the serving connection's close checkpoints too.
      const timeout = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
