import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { percentiles, runLoad } from '../src/load.js';

// A loopback server with the behaviours the load generator must tell apart.
let server;
let url;
const seen = new Map(); // socket → slot ids it carried
const chains = new Map(); // chain id → current token
let served = 0;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      served++;
      if (req.url === '/echo') {
        if (!req.headers['user-agent']?.startsWith('Mozilla/5.0')) return res.writeHead(400).end('no browser user agent');
        const ids = seen.get(req.socket) ?? new Set();
        ids.add(req.headers['x-slot']);
        seen.set(req.socket, ids);
        return res.end('{"email":"x"}');
      }
      if (req.url === '/rotate') {
        const { chain, token } = JSON.parse(body);
        if (chains.get(chain) !== token) return res.writeHead(401).end('{"error":"reused"}');
        chains.set(chain, token + 1);
        return res.end(JSON.stringify({ token: token + 1 }));
      }
      if (req.url === '/flaky') return served % 10 === 0 ? res.writeHead(500).end('boom') : res.end('{"email":"x"}');
      if (req.url === '/null') return res.end('null');
      res.writeHead(404).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const echo = (name) => ({ name, method: 'GET', path: '/echo', headers: (slot) => ({ 'x-slot': String(slot.id) }), accept: (b) => b.includes('email') });

describe('runLoad', () => {
  it('gives each connection its own client slot, also after it loops over the requests', async () => {
    const slots = Array.from({ length: 6 }, (_, id) => ({ id }));
    const result = await runLoad({ url, connections: 4, durationSec: 1, requests: [echo('a'), echo('b')], slots });
    assert.equal(result.failed, 0);
    assert.ok(result.requests > 20);
    const perSocket = [...seen.values()].map((ids) => [...ids]);
    assert.ok(perSocket.every((ids) => ids.length === 1), `a connection used several slots: ${JSON.stringify(perSocket)}`);
    assert.deepEqual(perSocket.map((ids) => ids[0]).sort(), ['0', '1', '2', '3']);
  });

  it('carries state from a response into the next request of the same client (token rotation)', async () => {
    const slots = Array.from({ length: 3 }, (_, chain) => ({ chain, token: 0 }));
    for (const slot of slots) chains.set(slot.chain, 0);
    const rotate = {
      name: 'rotate',
      method: 'POST',
      path: '/rotate',
      body: (slot) => ({ chain: slot.chain, token: slot.token }),
      accept: (b) => b.includes('token'),
      onOk: (slot, b) => (slot.token = JSON.parse(b).token),
      changesState: true,
    };
    const result = await runLoad({ url, connections: 3, durationSec: 1, requests: [rotate], slots });
    assert.equal(result.failed, 0, JSON.stringify(result.failures));
    for (const slot of slots) {
      // Either in step with the server, or one request cut off by the end of the run (and flagged).
      assert.ok(slot.token === chains.get(slot.chain) || (slot.pending && slot.token === chains.get(slot.chain) - 1));
    }
    assert.ok(slots.reduce((sum, s) => sum + s.token, 0) >= result.requests);
  });

  const failing = [
    ['non-2xx answers', '/flaky', (f) => f.statuses['500'] > 0 && f.samples[0].includes('→ 500')],
    ['2xx answers without the expected body', '/null', (f) => f.badBodies > 0 && f.samples[0].includes('unexpected body')],
  ];
  for (const [label, path, check] of failing) {
    it(`counts ${label} as failed requests`, async () => {
      const request = { name: path, method: 'GET', path, accept: (b) => b.includes('email') };
      const result = await runLoad({ url, connections: 2, durationSec: 1, requests: [request], slots: [{}, {}] });
      assert.ok(result.failed > 0);
      assert.ok(check(result.failures), JSON.stringify(result.failures));
    });
  }

  it('counts a server that does not answer as failed', async () => {
    const closed = createServer();
    await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = closed.address().port;
    await new Promise((resolve) => closed.close(resolve));
    const request = { name: 'gone', method: 'GET', path: '/', accept: () => true };
    const result = await runLoad({ url: `http://127.0.0.1:${port}`, connections: 1, durationSec: 1, requests: [request], slots: [{}] });
    assert.ok(result.failures.errors > 0);
    assert.ok(result.failed > 0);
  });

  it('refuses more connections than client slots', async () => {
    await assert.rejects(runLoad({ url, connections: 3, durationSec: 1, requests: [echo('a')], slots: [{}] }), /need 3 client slots/);
  });
});

describe('percentiles', () => {
  it('is nearest-rank on the sorted sample', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    assert.deepEqual(percentiles(values), { p50: 50, p99: 99 });
    assert.ok(Number.isNaN(percentiles([]).p50));
  });
});
