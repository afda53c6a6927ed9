import nodemailer from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import { uuidv7 } from '../crypto/random.js';
import type { Db } from '../db/transaction.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Template id (§11), kept in the dev outbox for tests and operators. */
  template?: string;
  /** E6 sender (`senderName`/`senderEmail`); LATCH_MAIL_FROM when absent. */
  from?: { name: string; address: string };
}

export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

const OUTBOX_KEEP = 1000;

/**
 * SMTP through nodemailer when LATCH_SMTP_URL is set (config.md), over a pool of connections that stay
 * open between mails (nodemailer's defaults: up to 5 connections, 100 mails each): a burst of resets or
 * sign-ups does not pay a TCP and TLS handshake and an SMTP greeting and login per mail. A `pool`
 * parameter in the URL (`?pool=false`) wins.
 */
export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(withPool(url));
  return {
    kind: 'smtp',
    async send(message) {
      await transport.sendMail({ from: message.from ?? from, to: message.to, subject: message.subject, text: message.text, html: message.html });
    },
    async close() {
      transport.close();
    },
  };
}

function withPool(url: string): string {
  if (/[?&]pool=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}pool=true`;
}

/**
 * The dev mailer: messages are logged (subject and recipient only, never the body, which holds
 * tokens) and kept in the database outbox, newest 1,000, readable with the secret key.
 */
export function outboxMailer(db: Db, clock: Clock, log: FastifyBaseLogger): Mailer {
  return {
    kind: 'outbox',
    async send(message) {
      const now = clock.now();
      await db
        .insertInto('outbox')
        .values({
          id: uuidv7(now),
          to_address: message.to,
          subject: message.subject,
          template: message.template ?? null,
          text_body: message.text,
          html_body: message.html ?? null,
          created_at: now,
        })
        .execute();
      log.info({ to: message.to, subject: message.subject, template: message.template }, 'mail kept in the dev outbox');
      // Ids are UUIDv7 of the send time, so id order is time order: the primary key finds the first
      // message past the newest 1,000 by walking its index (ordering by created_at sorted the table on
      // every send, most of a sign-up's database time).
      const stale = await db.selectFrom('outbox').select('id').orderBy('id', 'desc').offset(OUTBOX_KEEP).limit(1).executeTakeFirst();
      if (stale) await db.deleteFrom('outbox').where('id', '<=', stale.id).execute();
    },
    async close() {},
  };
}
