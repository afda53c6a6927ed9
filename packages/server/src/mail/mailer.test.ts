import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/helpers/clock.js';
import { createTestDatabase, dialects, type TestDatabase } from '../../test/helpers/databases.js';
import { Mailbox } from '../../test/helpers/mailbox.js';
import { testEnv } from '../../test/helpers/test-app.js';
import { openContext } from '../bootstrap.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { uuidv7 } from '../crypto/random.js';
import { connectDatabase, type DatabaseHandle } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createLogger } from '../http/logging.js';
import { outboxMailer, smtpMailer } from './mailer.js';

describe('smtpMailer against a real SMTP server (smtp-server sink)', () => {
  let mailbox: Mailbox;
  beforeAll(async () => {
    mailbox = await new Mailbox().start();
  });
  afterAll(async () => {
    await mailbox.stop();
  });

  it('delivers subject, text and HTML from LATCH_MAIL_FROM', async () => {
    const mailer = smtpMailer(mailbox.url, 'Latch Test <no-reply@latch.test>');
    try {
      await mailer.send({ to: 'ada@example.test', subject: 'Reset your password ✓', text: 'Open https://app.test/reset?token=abc', html: '<p>Open <a href="https://app.test/reset?token=abc">this link</a></p>' });
      const mail = await mailbox.waitFor('ada@example.test');
      expect(mail.subject).toBe('Reset your password ✓');
      expect(mail.text.trim()).toBe('Open https://app.test/reset?token=abc');
      expect(mail.html).toContain('<a href="https://app.test/reset?token=abc">this link</a>');
      expect(mail.from).toBe('no-reply@latch.test');
      expect(mail.parsed.from?.value[0]).toMatchObject({ name: 'Latch Test', address: 'no-reply@latch.test' });
    } finally {
      await mailer.close();
    }
  });

  it('cannot be steered by CR/LF in a subject (header injection)', async () => {
    const mailer = smtpMailer(mailbox.url, 'no-reply@latch.test');
    try {
      await mailer.send({ to: 'target@example.test', subject: 'Hello\r\nBcc: victim@example.test\r\nX-Evil: 1', text: 'body' });
      const mail = await mailbox.waitFor('target@example.test');
      expect(mail.to).toEqual(['target@example.test']);
      expect(mail.parsed.headers.has('x-evil')).toBe(false);
      expect(mailbox.to('victim@example.test')).toEqual([]);
    } finally {
      await mailer.close();
    }
  });

  it('sends a burst of mails over one pooled connection, and closes it on close()', async () => {
    const mailer = smtpMailer(mailbox.url, 'no-reply@latch.test');
    const before = mailbox.connections;
    try {
      for (const n of [1, 2, 3]) await mailer.send({ to: `pooled-${n}@example.test`, subject: `mail ${n}`, text: 'body' });
      for (const n of [1, 2, 3]) expect((await mailbox.waitFor(`pooled-${n}@example.test`)).subject).toBe(`mail ${n}`);
      expect(mailbox.connections - before).toBe(1);
    } finally {
      await mailer.close();
    }
    // A closed mailer holds nothing open: the next mailer connects anew.
    const next = smtpMailer(mailbox.url, 'no-reply@latch.test');
    try {
      await next.send({ to: 'pooled-4@example.test', subject: 'mail 4', text: 'body' });
      expect(mailbox.connections - before).toBe(2);
    } finally {
      await next.close();
    }
  });

  it('connects per mail when the URL says pool=false', async () => {
    const mailer = smtpMailer(`${mailbox.url}?pool=false`, 'no-reply@latch.test');
    const before = mailbox.connections;
    try {
      for (const n of [1, 2]) await mailer.send({ to: `unpooled-${n}@example.test`, subject: `mail ${n}`, text: 'body' });
      expect(mailbox.connections - before).toBe(2);
    } finally {
      await mailer.close();
    }
  });

  it('rejects (instead of hanging or pretending) when the SMTP server is unreachable', async () => {
    const mailer = smtpMailer('smtp://127.0.0.1:1', 'no-reply@latch.test');
    try {
      await expect(mailer.send({ to: 'x@example.test', subject: 's', text: 't' })).rejects.toThrow();
    } finally {
      await mailer.close();
    }
  });

  it('is what openContext picks when LATCH_SMTP_URL is set, and a sent mail arrives', async () => {
    const opened = await openContext(loadConfig(testEnv('file::memory:', { LATCH_SMTP_URL: mailbox.url, LATCH_MAIL_FROM: 'Ops <ops@latch.test>' })), { log: createLogger('silent'), migrate: true });
    try {
      expect(opened.ctx.mailer.kind).toBe('smtp');
      await opened.ctx.mailer.send({ to: 'ctx@example.test', subject: 'via context', text: 'plain', html: '<b>rich</b>' });
      const mail = await mailbox.waitFor('ctx@example.test');
      expect({ subject: mail.subject, from: mail.from, html: mail.html.includes('<b>rich</b>') }).toEqual({ subject: 'via context', from: 'ops@latch.test', html: true });
    } finally {
      await opened.close();
    }
  });
});

describe('mailer choice at start', () => {
  it('uses the dev outbox without LATCH_SMTP_URL', async () => {
    const opened = await openContext(loadConfig(testEnv('file::memory:')), { log: createLogger('silent'), migrate: true });
    try {
      expect(opened.ctx.mailer.kind).toBe('outbox');
    } finally {
      await opened.close();
    }
  });

  it('refuses the dev outbox in production: ConfigError naming LATCH_SMTP_URL', async () => {
    const config = loadConfig(testEnv('file::memory:', { NODE_ENV: 'production', LATCH_PASSWORD_HASH: 'argon2id:m=19456,t=2,p=1' }));
    const error = await openContext(config, { log: createLogger('silent'), migrate: true }).then(
      (opened) => (opened.close(), undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('LATCH_SMTP_URL');
  });
});

describe.each(dialects)('the dev outbox (%s)', (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  const clock = new ManualClock();
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }));
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    handle = connectDatabase(database.url);
    await migrateToLatest(handle.db);
  });
  afterAll(async () => {
    await handle.close();
    await database.drop();
  });

  it('keeps each message with its template, text and HTML, and logs no body', async () => {
    const mailer = outboxMailer(handle.db, handle.dialect, clock, log);
    await mailer.send({ to: 'bob@example.test', subject: 'Confirm', text: 'token=secret-in-body', html: '<p>secret-in-html</p>', template: 'signup_confirmation' });
    const row = await handle.db.selectFrom('outbox').selectAll().where('to_address', '=', 'bob@example.test').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ subject: 'Confirm', text_body: 'token=secret-in-body', html_body: '<p>secret-in-html</p>', template: 'signup_confirmation', created_at: clock.now() });
    expect(lines.join('\n')).toContain('bob@example.test');
    expect(lines.join('\n')).not.toContain('secret-in');
  });

  it('keeps the newest 1,000 messages', async () => {
    await handle.db.deleteFrom('outbox').execute();
    const base = clock.now() - 10_000_000;
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: uuidv7(base + i * 1000),
      to_address: `old-${i}@example.test`,
      subject: `old ${i}`,
      template: null,
      text_body: 'x',
      html_body: null,
      created_at: base + i * 1000,
    }));
    for (let i = 0; i < rows.length; i += 200) await handle.db.insertInto('outbox').values(rows.slice(i, i + 200)).execute();
    const mailer = outboxMailer(handle.db, handle.dialect, clock, log);
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await mailer.send({ to: `new-${i}@example.test`, subject: `new ${i}`, text: 'y' });
    }
    const kept = await handle.db.selectFrom('outbox').select(['to_address']).orderBy('created_at', 'asc').execute();
    expect(kept).toHaveLength(1000);
    expect(kept[0].to_address).toBe('old-3@example.test');
    expect(kept.slice(-3).map((r) => r.to_address)).toEqual(['new-0@example.test', 'new-1@example.test', 'new-2@example.test']);
  });
});
