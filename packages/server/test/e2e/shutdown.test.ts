import net from 'node:net';
import { Writable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/http/logging.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createTestDatabase, dialects } from '../helpers/databases.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/factories.js';
import { TEST_PK, testEnv } from '../helpers/test-app.js';
import { cliDatabase } from '../setup/cli-harness.js';

/** A request sent over a raw socket in two parts, so it is provably in flight while the server stops. */
class SlowRequest {
  private socket!: net.Socket;
  private received = '';

  constructor(private readonly url: string, private readonly requestId: string, private readonly body: string) {}

  async sendHead(): Promise<void> {
    const { hostname, port } = new URL(this.url);
    this.socket = net.connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => this.socket.once('connect', resolve).once('error', reject));
    this.socket.on('data', (d) => (this.received += d));
    this.socket.on('error', () => {});
    // Expect: 100-continue makes the server say when it has taken the request in (a client-visible
    // "in flight" signal); the body then follows in two parts.
    this.socket.write(
      `POST /v1/auth/email/signup HTTP/1.1\r\nHost: ${hostname}\r\nX-API-Key: ${TEST_PK}\r\nX-Request-Id: ${this.requestId}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(this.body)}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await expect.poll(() => this.received.startsWith('HTTP/1.1 100 Continue'), { timeout: 5000, interval: 10 }).toBe(true);
    this.received = '';
    this.socket.write(this.body.slice(0, 10));
  }

  sendRest(): void {
    this.socket.write(this.body.slice(10));
  }

  /** The complete response (read up to its Content-Length: a keep-alive socket is not closed for us). */
  async response(): Promise<{ status: number; body: string; headers: string }> {
    const complete = () => {
      const end = this.received.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const length = Number(/content-length: (\d+)/i.exec(this.received.slice(0, end))?.[1] ?? 0);
      return Buffer.byteLength(this.received.slice(end + 4)) >= length;
    };
    await expect.poll(complete, { timeout: 10_000, interval: 10 }).toBe(true);
    const end = this.received.indexOf('\r\n\r\n');
    const headers = this.received.slice(0, end);
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0), body: this.received.slice(end + 4), headers };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function logSink() {
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }));
  return { lines, log };
}

async function refusesConnections(url: string): Promise<boolean> {
  return fetch(`${url}/health`).then(
    () => false,
    () => true,
  );
}

describe.each(dialects)('graceful shutdown (%s)', (dialect) => {
  it('finishes the in-flight request while new connections are refused', async () => {
    const database = await createTestDatabase(dialect);
    const { lines, log } = logSink();
    let server: RunningServer | undefined;
    try {
      server = await startServer(loadConfig(testEnv(database.url, { LATCH_PORT: '0' })), { log, migrate: true, print: () => {} });
      const email = uniqueEmail('inflight');
      const slow = new SlowRequest(server.url, 'slow-1', JSON.stringify({ method: 'password', email, password: STRONG_PASSWORD, name: 'In Flight' }));
      await slow.sendHead();
      // In flight: Fastify has started this request (it logs "incoming request" past its closing check).
      await expect.poll(() => lines.some((l) => l.includes('"reqId":"slow-1"') && l.includes('incoming request')), { timeout: 5000, interval: 10 }).toBe(true);
      const started = Date.now();

      const stopped = server.stop();
      let stopDone = false;
      void stopped.then(() => (stopDone = true));
      await expect.poll(() => refusesConnections(server!.url), { timeout: 5000, interval: 20 }).toBe(true);
      expect(stopDone).toBe(false);

      slow.sendRest();
      const res = await slow.response();
      expect(res.status).toBe(201);
      expect(res.headers).toMatch(/\r\nconnection: close\r\n/i);
      expect(JSON.parse(res.body)).toMatchObject({ tokenType: 'Bearer' });
      await stopped;
      expect(stopDone).toBe(true);
      // The connection the request came on does not hold the stop for a keep-alive timeout.
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await server?.stop();
      await database.drop();
    }
  }, 60_000);

  it('does not wait for idle keep-alive connections', async () => {
    const database = await createTestDatabase(dialect);
    const server = await startServer(loadConfig(testEnv(database.url, { LATCH_PORT: '0' })), { log: createLogger('silent'), migrate: true, print: () => {} });
    try {
      const res = await fetch(`${server.url}/health`, { headers: { connection: 'keep-alive' } });
      expect(res.status).toBe(200);
      await res.text();
      const started = Date.now();
      await server.stop();
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await server.stop();
      await database.drop();
    }
  }, 60_000);
});

describe('latch serve on SIGTERM', () => {
  it('cuts a request that never completes after LATCH_SHUTDOWN_TIMEOUT and exits', async () => {
    const db = await cliDatabase('sqlite');
    const out: string[] = [];
    const done = main(['serve'], { out: (l) => out.push(l), err: (l) => out.push(l) }, { ...db.env, LATCH_PORT: '0', LATCH_SHUTDOWN_TIMEOUT: '1', LATCH_BOOTSTRAP_PUBLISHABLE_KEY: TEST_PK });
    try {
      await expect.poll(() => out.some((l) => l.startsWith('Latch is listening')), { timeout: 20_000, interval: 20 }).toBe(true);
      const url = /listening on (http:\/\/\S+)/.exec(out.find((l) => l.startsWith('Latch is listening'))!)![1];
      const stuck = new SlowRequest(url, 'stuck-1', JSON.stringify({ method: 'password', email: uniqueEmail(), password: STRONG_PASSWORD, name: 'Stuck' }));
      await stuck.sendHead();
      const started = Date.now();
      process.emit('SIGTERM', 'SIGTERM');
      expect(await done).toBe(0);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(5000);
      stuck.destroy();
    } finally {
      await db.drop();
    }
  }, 60_000);
});

describe('graceful shutdown with mail over SMTP', () => {
  it('delivers a mail still being sent when the stop begins before it closes the connection pool', async () => {
    // An SMTP sink that takes the message in but holds its answer until the test lets it go.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const received: Array<{ to: string[]; data: string }> = [];
    let inData = false;
    const sink = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        inData = true;
        let data = '';
        stream.on('data', (chunk: Buffer) => (data += chunk));
        stream.on('end', () => {
          void gate.then(() => {
            received.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
            callback();
          });
        });
      },
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const port = (sink.server.address() as { port: number }).port;
    const database = await createTestDatabase('sqlite');
    const { lines, log } = logSink();
    let server: RunningServer | undefined;
    try {
      server = await startServer(loadConfig(testEnv(database.url, { LATCH_PORT: '0', LATCH_SMTP_URL: `smtp://127.0.0.1:${port}` })), { log, migrate: true, print: () => {} });
      const email = uniqueEmail('mail-at-stop');
      const res = await fetch(`${server.url}/v1/auth/email/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_PK },
        body: JSON.stringify({ method: 'password', email, password: STRONG_PASSWORD, name: 'Mail At Stop' }),
      });
      expect(res.status).toBe(201);
      // The confirmation mail has reached the SMTP server and waits for its answer.
      await expect.poll(() => inData, { timeout: 5000, interval: 10 }).toBe(true);

      let stopDone = false;
      const stopped = server.stop().then(() => (stopDone = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(stopDone).toBe(false);
      release();
      await stopped;
      expect(received.map((m) => m.to)).toEqual([[email]]);
      expect(received[0]!.data).toContain('Subject:');
      expect(lines.join('\n')).not.toContain('email delivery failed');
    } finally {
      release();
      await server?.stop();
      await new Promise<void>((resolve) => sink.close(() => resolve()));
      await database.drop();
    }
  }, 60_000);
});
