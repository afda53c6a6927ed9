import type { MailMessage, Mailer } from '../../src/mail/mailer.js';
import { signUp, type SignedUpUser } from './factories.js';
import { TEST_SK, type TestApp } from './test-app.js';

/** A mailer that keeps what was sent in memory (the users/invitations tests read tokens from it). */
export function capturingMailer(): Mailer & { sent: MailMessage[]; lastTo(address: string, template?: string): MailMessage } {
  const sent: MailMessage[] = [];
  return {
    kind: 'outbox',
    sent,
    async send(message) {
      sent.push(message);
    },
    async close() {},
    /** The newest mail to `address` with `template` (default `invitation`; sign-up mails are skipped). */
    lastTo(address, template = 'invitation') {
      const found = sent.filter((m) => m.to.toLowerCase() === address.toLowerCase() && m.template === template);
      if (found.length === 0) throw new Error(`no mail to ${address}`);
      return found[found.length - 1];
    },
  };
}

/** The invitation token from an `invitation` email's link. */
export function tokenFromMail(mail: MailMessage): string {
  const match = /[?&]token=([0-9a-f]{64})/.exec(mail.text);
  if (!match) throw new Error(`no token in: ${mail.text}`);
  return match[1];
}

export async function setRole(t: TestApp, userId: string, role: 'admin' | 'user' | 'guest'): Promise<void> {
  await t.ctx.db.updateTable('users').set({ role }).where('id', '=', userId).execute();
  t.ctx.cache.forgetUser(userId);
}

export async function signUpAs(t: TestApp, role: 'admin' | 'user' | 'guest', overrides: { name?: string; email?: string } = {}): Promise<SignedUpUser> {
  const user = await signUp(t, overrides);
  if (role !== 'user') await setRole(t, user.id, role);
  return user;
}

export async function markEmailVerified(t: TestApp, userId: string): Promise<void> {
  await t.ctx.db.updateTable('users').set({ email_verified_at: t.clock.now() }).where('id', '=', userId).execute();
  t.ctx.cache.forgetUser(userId);
}

/** Minimal files whose first bytes are each accepted avatar type. */
export const IMAGE_BYTES = {
  png: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]),
  jpeg: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 2)]),
  gif: Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.alloc(64, 3)]),
  webp: Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.from([0x40, 0, 0, 0]), Buffer.from('WEBPVP8 ', 'latin1'), Buffer.alloc(64, 4)]),
};

/** PUT bytes to an upload URL from U09 (no API key, like a browser's presigned upload). */
export async function putUpload(t: TestApp, url: string, bytes: Buffer | string, contentType = 'image/png') {
  const target = new URL(url);
  const raw = await t.app.inject({ method: 'PUT', url: `${target.pathname}${target.search}`, payload: bytes, headers: { 'content-type': contentType } });
  return { status: raw.statusCode, body: raw.headers['content-type']?.toString().includes('json') ? raw.json() : raw.body, raw };
}

/** U09 + PUT + U10 for `userId`, as the secret key unless credentials are given. */
export async function setAvatar(t: TestApp, userId: string, bytes: Buffer = IMAGE_BYTES.png, auth: { token?: string; key?: string } = { key: TEST_SK }) {
  const issued = await t.request('POST', `/v1/users/${userId}/avatar/upload-url`, { ...auth, body: { filename: 'me.png', contentType: 'image/png' } });
  if (issued.status !== 200) throw new Error(`upload-url failed: ${issued.status} ${JSON.stringify(issued.body)}`);
  const put = await putUpload(t, issued.body.url, bytes);
  if (put.status !== 200) throw new Error(`upload failed: ${put.status} ${JSON.stringify(put.body)}`);
  const attached = await t.request('PATCH', `/v1/users/${userId}/avatar`, { ...auth, body: { s3Key: issued.body.key } });
  if (attached.status !== 200) throw new Error(`attach failed: ${attached.status} ${JSON.stringify(attached.body)}`);
  return { key: issued.body.key as string, image: attached.body.image as string };
}
