import type { MailMessage, Mailer } from '../../src/mail/mailer.js';

/** Generous email budgets for flow tests: the caps have their own attack tests. */
export const ROOMY_EMAIL_LIMITS = { LATCH_RATE_EMAIL_INTERVAL: '1000/60', LATCH_RATE_EMAIL_ADDRESS: '1000/3600', LATCH_RATE_EMAIL_IP: '100000/3600' };

/** A mailer that records what the flows send, in order, and can hold deliveries back to prove that an answer never waits for the mail. */
export class RecordingMailer implements Mailer {
  readonly kind = 'smtp' as const;
  readonly sent: MailMessage[] = [];
  private gate?: Promise<void>;
  private openGate?: () => void;

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async send(message: MailMessage): Promise<void> {
    if (this.gate) await this.gate;
    this.sent.push(message);
  }

  async close(): Promise<void> {}

  to(address: string): MailMessage[] {
    return this.sent.filter((m) => m.to.toLowerCase() === address.toLowerCase());
  }

  /**
   * The newest mail to `address`, of `template` when given. Deliveries run concurrently, so when a test
   * has more than one flow mailing one address (a sign-up's confirmation, then a reset), name the one
   * it wants: which of them arrived last is a race.
   */
  last(address: string, template?: string): MailMessage {
    const mails = this.to(address).filter((m) => template === undefined || m.template === template);
    if (mails.length === 0) throw new Error(`no ${template ?? ''} mail to ${address}`);
    return mails[mails.length - 1];
  }
}

/** The first link in a mail's text part whose URL has a `token` parameter (or contains `hint`). */
export function linkIn(message: { text: string }, hint = 'token='): URL {
  const found = message.text.match(/https?:\/\/[^\s<>"]+/g)?.find((url) => url.includes(hint));
  if (!found) throw new Error(`no link with ${hint} in:\n${message.text}`);
  return new URL(found);
}
