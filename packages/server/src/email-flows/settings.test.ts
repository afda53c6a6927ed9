import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/helpers/databases.js';
import { promoteToAdmin, signUp, uniqueEmail } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';
import { settleDeliveries } from './delivery.js';
import { linkIn, RecordingMailer, ROOMY_EMAIL_LIMITS } from '../../test/helpers/recording-mailer.js';

const admin = { key: TEST_SK };

describe.each(dialects)('E3 email provider settings (%s)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: ROOMY_EMAIL_LIMITS });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers the defaults and applies a partial PUT, returning the whole object', async () => {
    const before = await t.request('GET', '/v1/auth/providers/email', admin);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      provider: 'email',
      enabled: true,
      passwordPolicy: { minLength: 8, requireUppercase: true, requireLowercase: true, requireNumbers: true, requireSpecialChars: true, expirationDays: null, checkCommonPasswords: true },
      magicLinkEnabled: true,
      magicLinkExpirationMinutes: 15,
      requireEmailVerification: false,
      passwordResetUrl: null,
    });
    const put = await t.request('PUT', '/v1/auth/providers/email', { ...admin, body: { passwordPolicy: { minLength: 12, requireSpecialChars: false }, magicLinkExpirationMinutes: 30 } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      ...before.body,
      passwordPolicy: { ...before.body.passwordPolicy, minLength: 12, requireSpecialChars: false },
      magicLinkExpirationMinutes: 30,
    });
    expect((await t.request('GET', '/v1/auth/providers/email', admin)).body).toEqual(put.body);

    // Applied at once: a 10-character password is now too short, a 12-character one without a symbol is fine.
    const short = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email: uniqueEmail(), password: 'Abcdefgh1x', name: 'x' } });
    expect(short.body.error.details.rules).toEqual(['minLength']);
    const ok = await t.request('POST', '/v1/auth/email/signup', { body: { method: 'password', email: uniqueEmail(), password: 'Quasar9Marmot', name: 'x' } });
    expect(ok.status).toBe(201);
    await t.request('PUT', '/v1/auth/providers/email', { ...admin, body: { passwordPolicy: before.body.passwordPolicy, magicLinkExpirationMinutes: 15 } });
  });

  it.each([
    [{ passwordPolicy: { minLength: 0 } }, 'auth/validation-error'],
    [{ passwordPolicy: { minLength: 500 } }, 'auth/validation-error'],
    [{ passwordPolicy: { requireNumbers: 'yes' } }, 'auth/validation-error'],
    [{ passwordPolicy: { expirationDays: 0 } }, 'auth/validation-error'],
    [{ magicLinkExpirationMinutes: 0 }, 'auth/validation-error'],
    [{ magicLinkExpirationMinutes: 1441 }, 'auth/validation-error'],
    [{ requireEmailVerification: 1 }, 'auth/validation-error'],
    [{ passwordResetUrl: 'https://evil.example/reset' }, 'auth/invalid-redirect-url'],
    [{ passwordResetUrl: 'not a url' }, 'auth/invalid-redirect-url'],
  ])('refuses %j and changes nothing', async (body, code) => {
    const before = await t.request('GET', '/v1/auth/providers/email', admin);
    const res = await t.request('PUT', '/v1/auth/providers/email', { ...admin, body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
    expect((await t.request('GET', '/v1/auth/providers/email', admin)).body).toEqual(before.body);
  });

  it('is admin only: secret key or admin JWT; publishable key alone 401, user 403', async () => {
    const user = await signUp(t);
    expect((await t.request('GET', '/v1/auth/providers/email')).status).toBe(401);
    const asUser = await t.request('PUT', '/v1/auth/providers/email', { token: user.accessToken, body: { magicLinkEnabled: false } });
    expect([asUser.status, asUser.body.code]).toEqual([403, 'auth/forbidden']);
    await promoteToAdmin(t, user.id);
    expect((await t.request('GET', '/v1/auth/providers/email', { token: user.accessToken })).status).toBe(200);
    for (const [method, url] of [['GET', '/v1/auth/email-templates'], ['GET', '/v1/auth/email-templates/config'], ['GET', '/v1/auth/email-templates/magic_link'], ['GET', '/v1/auth/email-templates/preview/magic_link']]) {
      expect((await t.request(method, url)).status).toBe(401);
    }
  });
});

describe.each(dialects.filter((d) => d === 'postgres'))('E3 applies on every instance without a restart (%s)', (dialect) => {
  it('a change made through one instance is in force on the other at once', async () => {
    const database = await createTestDatabase(dialect);
    const a = await createTestApp(dialect, { database, env: ROOMY_EMAIL_LIMITS });
    const b = await createTestApp(dialect, { database, env: ROOMY_EMAIL_LIMITS });
    try {
      await a.request('PUT', '/v1/auth/providers/email', { ...admin, body: { magicLinkEnabled: false } });
      const res = await b.request('POST', '/v1/auth/email/signin', { body: { method: 'magiclink', email: uniqueEmail(), callbackUrl: 'http://localhost:3000/m' } });
      expect(res.body.code).toBe('auth/magiclink-disabled');
      expect((await b.request('GET', '/v1/auth/providers/email', admin)).body.magicLinkEnabled).toBe(false);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});

describe.each(dialects)('E6–E9 email templates (%s)', (dialect) => {
  let t: TestApp;
  const mailer = new RecordingMailer();
  beforeAll(async () => {
    t = await createTestApp(dialect, { mailer, env: ROOMY_EMAIL_LIMITS });
  });
  afterAll(async () => {
    await t.close();
  });

  async function resetMail(email: string) {
    await t.request('POST', '/v1/auth/password/reset/request', { body: { email, callbackUrl: 'http://localhost:3000/reset' } });
    await settleDeliveries(t.ctx);
    return mailer.last(email);
  }

  it('E7 lists every template per shipped locale, filtered and paged', async () => {
    const all = await t.request('GET', '/v1/auth/email-templates?limit=100', admin);
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(10);
    expect(all.body.items[0]).toEqual({ id: 'signup_confirmation', name: 'Sign-up confirmation', category: 'signup_confirmation', subject: expect.any(String), customized: false, locale: 'en' });
    expect(all.body.pagination).toEqual({ page: 1, limit: 100, total: 10, totalPages: 1, hasNext: false, hasPrev: false });
    const ko = await t.request('GET', '/v1/auth/email-templates?locale=ko', admin);
    expect(ko.body.items.map((i: { id: string }) => i.id)).toEqual(['signup_confirmation', 'email_verification', 'password_reset', 'magic_link', 'invitation']);
    const page2 = await t.request('GET', '/v1/auth/email-templates?limit=3&page=2', admin);
    expect(page2.body.items).toHaveLength(3);
    expect(page2.body.pagination).toMatchObject({ total: 10, totalPages: 4, hasNext: true, hasPrev: true });
    expect((await t.request('GET', '/v1/auth/email-templates?limit=101', admin)).body.code).toBe('auth/validation-error');
  });

  it('E8 customizes a template: sent mails use it, values escaped, unknown variables empty; DELETE restores the built-in', async () => {
    const put = await t.request('PUT', '/v1/auth/email-templates/password_reset', {
      ...admin,
      body: { subject: 'Reset for {{userName}} at {{appName}}', body: '<p>Hi {{userName}} {{nonsense}}!</p><p><a href="{{resetLink}}">Go</a> ({{expiresInMinutes}} min)</p>' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: 'password_reset', customized: true, locale: 'en', subject: 'Reset for {{userName}} at {{appName}}' });
    expect(put.body.variables).toEqual(expect.arrayContaining(['userName', 'resetLink', 'appName', 'expiresInMinutes']));
    const got = await t.request('GET', '/v1/auth/email-templates/password_reset', admin);
    expect(got.body.body).toContain('{{nonsense}}');

    const user = await signUp(t, { name: '<b>Bold</b>' });
    const mail = await resetMail(user.email);
    expect(mail.subject).toBe('Reset for <b>Bold</b> at Latch');
    expect(mail.html).toContain('<p>Hi &lt;b&gt;Bold&lt;/b&gt; !</p>');
    expect(mail.html).toContain('(15 min)');
    expect(mail.text).toContain('Hi <b>Bold</b> !');
    expect(linkIn(mail).origin).toBe('http://localhost:3000');
    const listed = await t.request('GET', '/v1/auth/email-templates?locale=en', admin);
    expect(listed.body.items.find((i: { id: string }) => i.id === 'password_reset').customized).toBe(true);

    // overrideDefaults off: the built-in is sent again, the customization is kept.
    await t.request('PUT', '/v1/auth/email-templates/config', { ...admin, body: { overrideDefaults: false } });
    expect((await resetMail(user.email)).subject).toBe('Reset your Latch password');
    await t.request('PUT', '/v1/auth/email-templates/config', { ...admin, body: { overrideDefaults: true } });
    expect((await resetMail(user.email)).subject).toBe('Reset for <b>Bold</b> at Latch');

    expect((await t.request('DELETE', '/v1/auth/email-templates/password_reset', admin)).status).toBe(200);
    expect((await resetMail(user.email)).subject).toBe('Reset your Latch password');
    expect((await t.request('DELETE', '/v1/auth/email-templates/password_reset', admin)).body.code).toBe('auth/template-not-found');
  });

  it('chooses the locale from the user\'s preference, falling back to English', async () => {
    const korean = await signUp(t);
    const prefs = await t.request('PATCH', `/v1/users/${korean.id}/preferences`, { token: korean.accessToken, body: { locale: 'ko-KR' } });
    expect(prefs.status).toBe(200);
    expect((await resetMail(korean.email)).subject).toBe('Latch 비밀번호 재설정');

    const french = await signUp(t);
    await t.request('PATCH', `/v1/users/${french.id}/preferences`, { token: french.accessToken, body: { locale: 'fr' } });
    expect((await resetMail(french.email)).subject).toBe('Reset your Latch password');
    // An admin adds French: French users get it.
    await t.request('PUT', '/v1/auth/email-templates/password_reset?locale=fr', { ...admin, body: { subject: 'Réinitialiser votre mot de passe', body: '<p><a href="{{resetLink}}">Réinitialiser</a></p>' } });
    expect((await resetMail(french.email)).subject).toBe('Réinitialiser votre mot de passe');
    await t.request('DELETE', '/v1/auth/email-templates/password_reset?locale=fr', admin);
  });

  it('E6 sets the sender, name, logo and colour of every mail; bad values are refused', async () => {
    const before = await t.request('GET', '/v1/auth/email-templates/config', admin);
    expect(before.body).toEqual({ senderEmail: null, senderName: null, logoUrl: null, brandColor: '#2563eb', overrideDefaults: true, appName: 'Latch' });
    const put = await t.request('PUT', '/v1/auth/email-templates/config', {
      ...admin,
      body: { senderEmail: 'hello@acme.test', senderName: 'Acme Support', logoUrl: 'https://acme.test/logo.png', brandColor: '#ff6600', appName: 'Acme' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ senderEmail: 'hello@acme.test', senderName: 'Acme Support', logoUrl: 'https://acme.test/logo.png', brandColor: '#ff6600', overrideDefaults: true, appName: 'Acme' });
    const user = await signUp(t);
    const mail = await resetMail(user.email);
    expect(mail.from).toEqual({ name: 'Acme Support', address: 'hello@acme.test' });
    expect(mail.subject).toBe('Reset your Acme password');
    expect(mail.html).toContain('src="https://acme.test/logo.png"');
    expect(mail.html).toContain('#ff6600');

    for (const body of [{ brandColor: 'red' }, { brandColor: '#12345"' }, { senderEmail: 'a@b.test\r\nBcc: x@y.test' }, { senderName: 'Evil\nBcc: x' }, { logoUrl: 'javascript:alert(1)' }, { appName: '' }, { overrideDefaults: 'no' }]) {
      const res = await t.request('PUT', '/v1/auth/email-templates/config', { ...admin, body });
      expect([res.status, res.body.code]).toEqual([400, 'auth/validation-error']);
    }
    await t.request('PUT', '/v1/auth/email-templates/config', { ...admin, body: { senderEmail: null, senderName: null, logoUrl: null, brandColor: '#2563eb', appName: 'Latch' } });
  });

  it('E9 previews a template as it would be sent, per locale', async () => {
    const res = await t.request('GET', '/v1/auth/email-templates/preview/magic_link?locale=ko', admin);
    expect(res.status).toBe(200);
    expect(res.body.subject).toBe('Latch 로그인 링크');
    expect(res.body.locale).toBe('ko');
    expect(res.body.htmlBody).toContain('preview-token');
    expect(res.body.textBody).toContain('ada@example.com');
    expect(res.body.textBody).not.toContain('<');
    const fallback = await t.request('GET', '/v1/auth/email-templates/preview/invitation?locale=de', admin);
    expect(fallback.body.locale).toBe('en');
    expect(fallback.body.subject).toBe('Grace Hopper invited you to join Analytical Engines');
  });

  it.each([
    ['GET', '/v1/auth/email-templates/nope', undefined, 404, 'auth/template-not-found'],
    ['GET', '/v1/auth/email-templates/preview/nope', undefined, 404, 'auth/template-not-found'],
    ['PUT', '/v1/auth/email-templates/nope', { subject: 's', body: 'b' }, 404, 'auth/template-not-found'],
    ['PUT', '/v1/auth/email-templates/magic_link', { subject: '', body: 'b' }, 400, 'auth/validation-error'],
    ['PUT', '/v1/auth/email-templates/magic_link', { subject: 'a\nb', body: 'b' }, 400, 'auth/validation-error'],
    ['PUT', '/v1/auth/email-templates/magic_link', { subject: 's' }, 400, 'auth/validation-error'],
    ['PUT', '/v1/auth/email-templates/magic_link?locale=../../x', { subject: 's', body: 'b' }, 400, 'auth/validation-error'],
    ['GET', '/v1/auth/email-templates/magic_link?locale=no%20such', undefined, 400, 'auth/validation-error'],
  ])('%s %s → %i %s', async (method, url, body, status, code) => {
    const res = await t.request(method, url, { ...admin, body });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  });
});
