import net from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ManualClock } from '../helpers/clock.js';
import type { DialectName } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** A free loopback port, so LATCH_PUBLIC_URL (issuer, audience, resource) names the real address. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A live Latch whose public URL is its own socket address (MCP OAuth metadata must be reachable). */
export async function startMcpServer(dialect: DialectName, options: { env?: Record<string, string>; clock?: ManualClock } = {}): Promise<TestServer> {
  // Another worker may take the probed port before we listen on it: try a few ports.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startTestServer(dialect, {
        clock: options.clock,
        env: { LATCH_PORT: String(port), LATCH_PUBLIC_URL: `http://127.0.0.1:${port}`, ...options.env },
      });
    } catch (error) {
      if (attempt >= 5 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}

/** The official SDK client over Streamable HTTP with a fixed bearer token (secret key or MCP token). */
export async function connectHttpClient(server: TestServer, token?: string): Promise<Client> {
  const client = new Client({ name: 'latch-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : undefined,
  });
  await client.connect(transport);
  return client;
}

/** Raw JSON-RPC POST to /mcp (for the transport-level status codes of mcp.md §7.2). */
export async function postMcp(server: TestServer, body: unknown, headers: Record<string, string> = {}, query = '') {
  const res = await fetch(`${server.url}/mcp${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
}

export function toolText(result: unknown): string {
  const content = (result as { content: Array<{ type: string; text: string }> }).content;
  return content.map((c) => c.text).join('');
}
