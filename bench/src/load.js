// The load generator: autocannon, driven programmatically over loopback, one keep-alive connection per
// virtual client, no pipelining. Every response is checked; a run with any failure is marked failed.
import autocannon from 'autocannon';

// Real clients send one, and Latch parses it when it opens a session (device info): that cost belongs in
// the numbers. Every system under test gets the same header.
export const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/**
 * A request the scenarios describe:
 *   { name, method, path, headers?, body?(slot) → object, accept(body) → boolean, onOk?(slot, body) }
 * `slot` is the per-connection client state (tokens, cookie, user); connection i always gets slot i.
 *
 * @param {{ url: string, connections: number, durationSec: number, requests: any[], slots: any[] }} spec
 */
export async function runLoad({ url, connections, durationSec, requests, slots }) {
  if (slots.length < connections) throw new Error(`need ${connections} client slots, have ${slots.length}`);
  const failures = { statuses: {}, badBodies: 0, samples: [] };
  const latencies = [];
  const sample = (text) => {
    if (failures.samples.length < 5) failures.samples.push(text.slice(0, 300));
  };

  let nextSlot = 0;
  const cannonRequests = requests.map((request) => ({
    method: request.method,
    path: request.path,
    setupRequest(req, context) {
      const slot = slots[context.slot ?? 0];
      const out = { ...req, headers: { 'user-agent': USER_AGENT, ...request.headers?.(slot) } };
      if (request.body) {
        out.body = JSON.stringify(request.body(slot));
        out.headers['content-type'] = 'application/json';
      }
      // A request still open when the run ends may have rotated tokens the client never saw.
      if (request.changesState) slot.pending = true;
      return out;
    },
    onResponse(status, body, context) {
      const slot = slots[context.slot ?? 0];
      if (status < 200 || status > 299) {
        failures.statuses[status] = (failures.statuses[status] ?? 0) + 1;
        sample(`${request.name} → ${status}: ${body}`);
      } else if (!request.accept(body)) {
        failures.badBodies++;
        sample(`${request.name} → ${status} with an unexpected body: ${body}`);
      } else {
        request.onOk?.(slot, body);
      }
      if (request.changesState) slot.pending = false;
    },
  }));

  const instance = autocannon({
    url,
    connections,
    duration: durationSec,
    pipelining: 1,
    timeout: 30,
    requests: cannonRequests,
    // autocannon resets a connection's context whenever it loops over `requests`; the slot index
    // lives in the initial context so that every reset gives the same connection the same slot.
    setupClient(client) {
      const slot = nextSlot++;
      const iterator = client.requestIterator;
      iterator.initialContext = { slot };
      iterator.context = { slot };
      iterator.rebuildRequest();
    },
  });
  instance.on('response', (_client, status, _bytes, responseTime) => {
    if (status >= 200 && status <= 299) latencies.push(responseTime);
  });
  const errors = [];
  instance.on('reqError', (error) => {
    if (errors.length < 5) errors.push(String(error?.message ?? error));
  });
  const result = await instance;

  const ok = result['2xx'];
  return {
    requests: ok,
    seconds: result.duration,
    rps: ok / result.duration,
    ...percentiles(latencies),
    failed:
      result.errors + result.timeouts + result.non2xx + result.mismatches + failures.badBodies,
    failures: { ...failures, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, errorSamples: errors },
  };
}

/** p50 and p99 in milliseconds, nearest-rank on the sorted sample. */
export function percentiles(values) {
  if (values.length === 0) return { p50: NaN, p99: NaN };
  const sorted = Float64Array.from(values).sort();
  const rank = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return { p50: rank(50), p99: rank(99) };
}
