import nodemailer from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { uuidv7 } from '../crypto/random.js';
import type { DialectFlags } from '../db/dialect.js';
import { columnsOf, HotBatch, HotInsert } from '../db/hot-query.js';
import type { Database, OutboxTable } from '../db/types.js';

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

// The dev outbox keeps the newest 1,000 messages. Ids are UUIDv7 of the send time, so id order is time
// order and the primary key finds the cut by walking its index (ordering by created_at sorted the table
// on every send). One commit, one statement on PostgreSQL: the messages past the newest 999 go and the
// new one is written (PostgreSQL's delete does not see the row the same statement inserts).
const OUTBOX_INSERT = new HotInsert<OutboxTable>('outbox', columnsOf<OutboxTable>({
  id: true, to_address: true, subject: true, template: true, text_body: true, html_body: true, created_at: true,
}));
const keepInOutbox = new HotBatch([
  `delete from outbox where id <= (select id from outbox order by id desc limit 1 offset ${OUTBOX_KEEP - 1})`,
  OUTBOX_INSERT.sql,
]);

/**
 * The dev mailer: messages are logged (subject and recipient only, never the body, which holds
 * tokens) and kept in the database outbox, newest 1,000, readable with the secret key.
 */
export function outboxMailer(db: Kysely<Database>, dialect: DialectFlags, clock: Clock, log: FastifyBaseLogger): Mailer {
  return {
    kind: 'outbox',
    async send(message) {
      const now = clock.now();
      const row: OutboxTable = {
        id: uuidv7(now),
        to_address: message.to,
        subject: message.subject,
        template: message.template ?? null,
        text_body: message.text,
        html_body: message.html ?? null,
        created_at: now,
      };
      await keepInOutbox.run(db, dialect, [[], OUTBOX_INSERT.values(row)]);
      log.info({ to: message.to, subject: message.subject, template: message.template }, 'mail kept in the dev outbox');
    },
    async close() {},
  };
}
