import { sign as signBytes, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

// Event-loop utilisation (busy share of wall time, sampled every LOAD_SAMPLE_MS) above which signing moves.
const DEFAULT_OFFLOAD_ABOVE = 0.8;
const LOAD_SAMPLE_MS = 200;

/**
 * ES256 signatures on a thread of their own. An ECDSA P-256 signature costs ~35 µs of CPU, the largest
 * single part of a refresh; a server's event loop is its bottleneck while a second core often idles.
 * Requests made in one turn of the event loop go over as one message and come back as one. The hop is
 * taken only while the event loop is busy (utilisation above `offloadAbove`): two thread wake-ups cost
 * more CPU than one signature, which only pays when the loop, not the CPU, is what requests wait for
 * (a refresh storm), and not when password hashes fill the cores (a sign-in storm). Not the libuv pool:
 * there a signature would queue behind password hashes. If the thread dies, signing falls back to the
 * event loop; nothing waits forever.
 */
export class SignerThread {
  private worker?: Worker;
  private queue: Array<{ id: number; key: KeyObject; input: string }> = [];
  private pending = new Map<number, { key: KeyObject; input: string; resolve: (signature: string) => void }>();
  private nextId = 0;
  private scheduled = false;

  private busy: boolean;
  private readonly sampler: NodeJS.Timeout;

  /** `offloadAbove: 0` always uses the thread (tests). */
  constructor(onFailure: (message: string) => void = () => {}, options: { offloadAbove?: number } = {}) {
    const offloadAbove = options.offloadAbove ?? DEFAULT_OFFLOAD_ABOVE;
    const always = offloadAbove <= 0;
    this.busy = always;
    let last = performance.eventLoopUtilization();
    this.sampler = setInterval(() => {
      const now = performance.eventLoopUtilization();
      this.busy = always || performance.eventLoopUtilization(now, last).utilization > offloadAbove;
      last = now;
    }, LOAD_SAMPLE_MS);
    this.sampler.unref();
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (results: Array<[number, string]>) => {
      for (const [id, signature] of results) {
        this.pending.get(id)?.resolve(signature);
        this.pending.delete(id);
      }
    });
    const fail = (message: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      onFailure(message);
      this.signPendingHere();
    };
    worker.on('error', (error) => fail(error.message));
    worker.on('exit', (code) => fail(`signer thread exited (${code})`));
    this.worker = worker;
  }

  /** The base64url IEEE P1363 signature of `input` (the JWS signing input) with `key`. */
  sign(key: KeyObject, input: string): Promise<string> {
    if (!this.worker || !this.busy) return Promise.resolve(signHere(key, input));
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, { key, input, resolve });
      this.queue.push({ id, key, input });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async close(): Promise<void> {
    clearInterval(this.sampler);
    const worker = this.worker;
    this.worker = undefined;
    this.signPendingHere();
    await worker?.terminate();
  }

  /** Without the thread: everything queued or sent and not answered is signed here. */
  private signPendingHere(): void {
    this.queue = [];
    for (const { key, input, resolve } of this.pending.values()) resolve(signHere(key, input));
    this.pending.clear();
  }

  private flush(): void {
    this.scheduled = false;
    if (!this.worker) return this.signPendingHere();
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    // KeyObjects are cloned into the thread by postMessage, once per batch (a rotated key simply arrives
    // with its jobs).
    const keys: KeyObject[] = [];
    const jobs = batch.map(({ id, key, input }) => {
      let index = keys.indexOf(key);
      if (index === -1) index = keys.push(key) - 1;
      return [id, index, input];
    });
    this.worker.postMessage({ keys, jobs });
  }
}

export function signHere(key: KeyObject, input: string): string {
  return signBytes('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}

// CommonJS source for an eval'd worker: a separate file would not run from the TypeScript sources (tests).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { sign } = require('node:crypto');
parentPort.on('message', ({ keys, jobs }) => {
  parentPort.postMessage(jobs.map(([id, index, input]) => [id, sign('sha256', Buffer.from(input), { key: keys[index], dsaEncoding: 'ieee-p1363' }).toString('base64url')]));
});
`;
