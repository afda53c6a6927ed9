import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { Mailbox, type ReceivedMail } from '../../test/helpers/mailbox.js';
import { freePort } from '../../test/helpers/server-process.js';
import { TEST_SK } from '../../test/helpers/test-app.js';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.js';
import { ROOMY_EMAIL_LIMITS } from '../../test/helpers/recording-mailer.js';

const APP = 'http://localhost:3000';

/** The first link of a received mail's text part that carries a token. */
function tokenLink(mail: ReceivedMail): URL {
  const found = mail.text.match(/https?:\/\/[^\s<>"]+/g)?.find((url) => url.includes('token='));
  if (!found) throw new Error(`no token link in:\n${mail.text}`);
  return new URL(found);
}

/**
 * Every email flow over a real socket with a real SMTP sink (smtp-server): the test reads the mail as
 * delivered, follows or hands over its link the way a browser or an app would, and checks the outcome.
 */
describe.each(dialects)('email flows end to end over SMTP (%s)', (dialect) => {
  let mailbox: Mailbox;
  let server: TestServer;

  beforeAll(async () => {
    mailbox = await new Mailbox().start();
    const port = await freePort();
    server = await startTestServer(dialect, {
      env: {
        ...ROOMY_EMAIL_LIMITS,
        LATCH_SMTP_URL: mailbox.url,
        LATCH_MAIL_FROM: 'Latch Test <auth@latch.test>',
        LATCH_PORT: String(port),
        LATCH_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await mailbox?.stop();
  });

  it('sign-up: the confirmation mail arrives and its link, opened by a browser, verifies the address', async () => {
    const email = uniqueEmail('e2e-signup');
    const signup = await server.call('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name: 'Edsger', callbackUrl: `${APP}/welcome` } });
    expect(signup.status).toBe(201);
    const mail = await mailbox.waitFor(email);
    expect(mail.from).toBe('auth@latch.test');
    expect(mail.subject).toBe('Confirm your email address for Latch');
    expect(mail.html).toContain('Edsger');
    const link = tokenLink(mail);
    expect(link.origin).toBe(server.url);

    // A browser click: no X-API-Key.
    const click = await fetch(link, { redirect: 'manual' });
    expect(click.status).toBe(302);
    const landing = new URL(click.headers.get('location')!);
    expect(`${landing.origin}${landing.pathname}`).toBe(`${APP}/welcome`);
    expect(landing.searchParams.get('verified')).toBe('true');
    const me = await server.call('GET', '/v1/auth/me', { token: signup.body.accessToken });
    expect(me.body.emailVerified).toEqual(expect.any(String));
  });

  it('password reset: the mailed link carries token and email; the new password works, the old sessions do not', async () => {
    const email = uniqueEmail('e2e-reset');
    const signup = await server.call('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name: 'Reset' } });
    await mailbox.waitFor(email);
    const seen = mailbox.messages.length;
    const request = await server.call('POST', '/v1/auth/password/reset/request', { body: { email, callbackUrl: `${APP}/reset` } });
    expect(request.status).toBe(200);
    const mail = await mailbox.waitFor(email, { after: seen });
    expect(mail.subject).toBe('Reset your Latch password');
    const link = tokenLink(mail);
    expect(`${link.origin}${link.pathname}`).toBe(`${APP}/reset`);

    const confirm = await server.call('POST', '/v1/auth/password/reset/confirm', {
      body: { email: link.searchParams.get('email'), token: link.searchParams.get('token'), newPassword: 'E2e-Fresh-Passw0rd!' },
    });
    expect(confirm.status).toBe(200);
    expect((await server.call('GET', '/v1/auth/me', { token: signup.body.accessToken })).status).toBe(401);
    const signin = await server.call('POST', '/v1/auth/email/signin', { body: { method: 'password', email, password: 'E2e-Fresh-Passw0rd!' } });
    expect(signin.status).toBe(200);
  });

  it('magic link: the app receives the token on its callbackUrl and exchanges it for a session', async () => {
    const email = uniqueEmail('e2e-magic');
    const request = await server.call('POST', '/v1/auth/email/signup', { body: { method: 'magiclink', email, callbackUrl: `${APP}/auth/callback`, name: 'Magic E2E' } });
    expect(request.status).toBe(201);
    const mail = await mailbox.waitFor(email);
    expect(mail.subject).toBe('Your sign-in link for Latch');
    const link = tokenLink(mail);
    expect(`${link.origin}${link.pathname}`).toBe(`${APP}/auth/callback`);

    const exchange = await server.call('POST', '/v1/auth/email/callback', { body: { token: link.searchParams.get('token') } });
    expect(exchange.status).toBe(200);
    expect(exchange.body.is_new_user).toBe(true);
    const me = await server.call('GET', '/v1/auth/me', { token: exchange.body.accessToken });
    expect(me.body).toMatchObject({ email, name: 'Magic E2E', emailVerified: expect.any(String) });
    const replay = await server.call('POST', '/v1/auth/email/callback', { body: { token: link.searchParams.get('token') } });
    expect(replay.body.code).toBe('auth/invalid-token');
  });

  it('contact verification: A28 mails the app link, A29 confirms it', async () => {
    const email = uniqueEmail('e2e-contact');
    const signup = await server.call('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: STRONG_PASSWORD, name: 'Contact' } });
    await mailbox.waitFor(email);
    const next = uniqueEmail('e2e-new');
    const send = await server.call('POST', '/v1/auth/email/verify/send', { token: signup.body.accessToken, body: { email: next, callbackUrl: `${APP}/verify` } });
    expect(send.status).toBe(200);
    const mail = await mailbox.waitFor(next);
    expect(mail.subject).toBe('Verify your email address for Latch');
    const link = tokenLink(mail);
    const confirm = await server.call('POST', '/v1/auth/email/verify/confirm', { body: { email: link.searchParams.get('email'), token: link.searchParams.get('token') } });
    expect(confirm.body).toEqual({ message: expect.any(String), verified: true });
    expect((await server.call('GET', '/v1/auth/me', { token: signup.body.accessToken })).body.email).toBe(next);
  });

  it('has no outbox when SMTP is configured (decisions.md §6)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await server.call(method, '/v1/admin/outbox', { key: TEST_SK });
      expect([res.status, res.body.code]).toEqual([404, 'common/not-found']);
    }
  });
});
