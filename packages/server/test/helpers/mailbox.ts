import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  parsed: ParsedMail;
}

/**
 * A real SMTP sink (smtp-server) on a random loopback port. Point LATCH_SMTP_URL at `url` and read
 * what arrived; `waitFor` polls without sleeping longer than needed.
 */
export class Mailbox {
  readonly messages: ReceivedMail[] = [];
  /** SMTP connections accepted so far. */
  connections = 0;
  private server?: SMTPServer;
  private port = 0;

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onConnect: (_session, callback) => {
        this.connections++;
        callback();
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            this.messages.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              parsed,
            });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as { port: number }).port;
    return this;
  }

  /** The newest mail to `address` (case-insensitive), waiting up to `timeoutMs` for it. */
  async waitFor(address: string, options: { timeoutMs?: number; after?: number } = {}): Promise<ReceivedMail> {
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    const wanted = address.toLowerCase();
    for (;;) {
      const found = this.messages.slice(options.after ?? 0).filter((m) => m.to.some((t) => t.toLowerCase() === wanted));
      if (found.length > 0) return found[found.length - 1];
      if (Date.now() > deadline) throw new Error(`no mail to ${address} within the timeout`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  to(address: string): ReceivedMail[] {
    return this.messages.filter((m) => m.to.some((t) => t.toLowerCase() === address.toLowerCase()));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
