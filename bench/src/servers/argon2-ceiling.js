// The sign-in ceiling: argon2id alone at Latch's parameters, on the libuv pool Latch's hashes run on
// (@node-rs/argon2 queues its work there; the pool size is UV_THREADPOOL_SIZE, 4 by default). The queue
// is kept as deep as the load generator keeps Latch's (one operation per connection), so the pool never
// idles, exactly as under the sign-in load.
import { hash, verify } from '@node-rs/argon2';
import { parseParams, storedHash } from './argon2-params.js';
import { serveChild } from './child.js';

const params = parseParams(process.env.BENCH_ARGON2);
const password = (process.env.BENCH_PASSWORD ?? 'Correct-Horse-7-Battery!').normalize('NFC');
let stored;

/** Runs `op` with `inFlight` operations outstanding for `durationMs`; counts the ones that finished in time. */
async function measure({ op, durationMs, inFlight }) {
  const latencies = [];
  const deadline = performance.now() + durationMs;
  let completed = 0;
  let failures = 0;
  const one = op === 'hash' ? () => hash(password, params) : () => verify(stored, password);
  async function lane() {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const result = await one();
        if (op === 'verify' && result !== true) failures++;
      } catch {
        failures++;
      }
      const t1 = performance.now();
      if (t1 <= deadline) {
        completed++;
        latencies.push(t1 - t0);
      }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  // Only operations finished inside the window count, over the window's length (as for HTTP loads).
  return { completed, failures, seconds: durationMs / 1000, latencies, threads: Number(process.env.UV_THREADPOOL_SIZE ?? 4) };
}

await serveChild(
  async () => {
    stored = await storedHash(password, params);
    return { url: 'argon2:', stop: async () => {} };
  },
  (message) => measure(message),
);
