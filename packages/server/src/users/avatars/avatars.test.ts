import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/databases.js';
import { signUp, type SignedUpUser } from '../../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../../test/helpers/test-app.js';
import { IMAGE_BYTES, putUpload, setAvatar } from '../../../test/helpers/users.js';
import { runUserMaintenance } from '../purge.js';
import { MAX_AVATAR_BYTES } from './avatars.js';

const MIN = 60_000;

describe.each(dialects)('U09–U11 avatars and /uploads/avatars (%s)', (dialect) => {
  let t: TestApp;
  let a: SignedUpUser;
  let storage: string;
  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'latch-avatars-'));
    t = await createTestApp(dialect, { env: { LATCH_STORAGE_DIR: storage } });
    a = await signUp(t);
  });
  afterAll(async () => {
    await t.close();
  });
  const issue = (contentType = 'image/png', who: SignedUpUser = a) =>
    t.request('POST', `/v1/users/${who.id}/avatar/upload-url`, { token: who.accessToken, body: { filename: 'photo.png', contentType } });
  const fileOf = (key: string) => join(storage, key);

  it('U09 issues one signed 15-minute PUT URL under both documented names', async () => {
    const res = await issue('IMAGE/JPEG');
    expect(res.status).toBe(200);
    expect(res.body.url).toBe(res.body.uploadUrl);
    expect(res.body.key).toMatch(new RegExp(`^avatars/${a.id}/[A-Za-z0-9_-]{22}\\.jpg$`));
    expect(res.body.url).toMatch(new RegExp(`^http://localhost:8080/uploads/${res.body.key}\\?exp=\\d+&sig=[0-9a-f]{64}$`));
    expect(Date.parse(res.body.expiresAt) - t.clock.now()).toBe(15 * MIN);
  });

  it.each([
    [{ filename: 'a.svg', contentType: 'image/svg+xml' }],
    [{ filename: 'a.html', contentType: 'text/html' }],
    [{ filename: '', contentType: 'image/png' }],
    [{ contentType: 'image/png' }],
  ])('U09 refuses %j with 400 common/invalid-parameters', async (body) => {
    const res = await t.request('POST', `/v1/users/${a.id}/avatar/upload-url`, { token: a.accessToken, body });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'common/invalid-parameters' });
  });

  it.each(Object.entries(IMAGE_BYTES))('stores a %s by its bytes (declared type ignored) and serves it publicly', async (kind, bytes) => {
    const issued = await issue('image/png');
    // The browser declares something else entirely: the content decides.
    const put = await putUpload(t, issued.body.url, bytes, 'application/octet-stream');
    expect(put.status).toBe(200);
    const type = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' }[kind];
    expect(put.body).toEqual({ key: issued.body.key, contentType: type, size: bytes.length });
    const read = await t.app.inject({ method: 'GET', url: `/uploads/${issued.body.key}` });
    expect(read.statusCode).toBe(200);
    expect(read.headers['content-type']).toBe(type);
    expect(read.headers['x-content-type-options']).toBe('nosniff');
    expect(read.headers['content-security-policy']).toContain('sandbox');
    expect(read.rawPayload.equals(bytes)).toBe(true);
  });

  it('U10 sets image to the public URL; replacing deletes the old object; U11 deletes it and clears image', async () => {
    const first = await setAvatar(t, a.id, IMAGE_BYTES.png, { token: a.accessToken });
    expect(first.image).toBe(`http://localhost:8080/uploads/${first.key}`);
    expect((await t.request('GET', '/v1/auth/me', { token: a.accessToken })).body.image).toBe(first.image);
    expect(existsSync(fileOf(first.key))).toBe(true);

    const second = await setAvatar(t, a.id, IMAGE_BYTES.gif, { token: a.accessToken });
    expect(existsSync(fileOf(first.key))).toBe(false);
    expect(existsSync(fileOf(second.key))).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: `/uploads/${first.key}` })).statusCode).toBe(404);

    const removed = await t.request('DELETE', `/v1/users/${a.id}/avatar`, { token: a.accessToken });
    expect(removed).toMatchObject({ status: 200, body: { message: expect.any(String) } });
    expect(existsSync(fileOf(second.key))).toBe(false);
    expect((await t.request('GET', `/v1/users/${a.id}`, { token: a.accessToken })).body.image).toBeNull();
    const gone = await t.app.inject({ method: 'GET', url: `/uploads/${second.key}` });
    expect({ status: gone.statusCode, code: gone.json().code }).toEqual({ status: 404, code: 'common/not-found' });
  });

  it.each([
    ['U11', (who: SignedUpUser) => t.request('DELETE', `/v1/users/${who.id}/avatar`, { token: who.accessToken })],
    ['account deletion (U05)', (who: SignedUpUser) => t.request('DELETE', `/v1/users/${who.id}`, { token: who.accessToken })],
  ])('%s removes every upload of the user, attached or not, from storage and from /uploads', async (_, remove) => {
    const who = await signUp(t);
    const attached = await setAvatar(t, who.id, IMAGE_BYTES.png, { token: who.accessToken });
    const loose = await issue('image/png', who);
    expect((await putUpload(t, loose.body.url, IMAGE_BYTES.png)).status).toBe(200);
    const unused = await issue('image/png', who);
    expect((await t.app.inject({ method: 'GET', url: `/uploads/${loose.body.key}` })).statusCode).toBe(200);
    expect((await remove(who)).status).toBe(200);
    for (const key of [attached.key, loose.body.key]) {
      expect(existsSync(fileOf(key))).toBe(false);
      expect((await t.app.inject({ method: 'GET', url: `/uploads/${key}` })).statusCode).toBe(404);
    }
    const slots = await t.ctx.db.selectFrom('avatar_uploads').select('key').where('user_id', '=', who.id).execute();
    expect(slots).toEqual([]);
    // A URL issued before and not used yet went with its slot.
    expect((await putUpload(t, unused.body.url, IMAGE_BYTES.png)).status).toBe(403);
  });

  it('U10 refuses keys that were not issued to this user or hold no upload', async () => {
    const other = await signUp(t);
    const notUploaded = (await issue()).body.key;
    const othersKey = (await setAvatar(t, other.id)).key;
    for (const s3Key of [notUploaded, othersKey, 'avatars/../../etc/passwd', `avatars/${a.id}/nothing-here-at-all.png`]) {
      const res = await t.request('PATCH', `/v1/users/${a.id}/avatar`, { token: a.accessToken, body: { s3Key } });
      expect({ key: s3Key, status: res.status, code: res.body.code }).toEqual({ key: s3Key, status: 400, code: 'common/invalid-parameters' });
    }
  });

  it('accepts exactly 5 MiB, streamed without a Content-Length', async () => {
    const issued = await issue();
    const target = new URL(issued.body.url);
    const chunk = Buffer.alloc(64 * 1024, 7);
    const chunks = MAX_AVATAR_BYTES / chunk.length;
    const body = Readable.from((function* () {
      yield Buffer.concat([IMAGE_BYTES.png.subarray(0, 8), chunk.subarray(8)]);
      for (let i = 1; i < chunks; i++) yield chunk;
    })());
    const res = await t.app.inject({ method: 'PUT', url: `${target.pathname}${target.search}`, payload: body, headers: { 'content-type': 'image/png' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().size).toBe(MAX_AVATAR_BYTES);
  });

  it('refuses 5 MiB + 1 byte with 413, declared or streamed, and keeps nothing; the URL can then be retried', async () => {
    const issued = await issue();
    const big = Buffer.concat([IMAGE_BYTES.png, Buffer.alloc(MAX_AVATAR_BYTES + 1 - IMAGE_BYTES.png.length)]);
    const declared = await putUpload(t, issued.body.url, big);
    expect({ status: declared.status, code: declared.body.code }).toEqual({ status: 413, code: 'common/payload-too-large' });
    const target = new URL(issued.body.url);
    const streamed = await t.app.inject({ method: 'PUT', url: `${target.pathname}${target.search}`, payload: Readable.from([big.subarray(0, 1024), big.subarray(1024)]), headers: { 'content-type': 'image/png' } });
    expect({ status: streamed.statusCode, code: streamed.json().code }).toEqual({ status: 413, code: 'common/payload-too-large' });
    expect(readdirSync(join(storage, 'avatars', a.id)).filter((f) => f.includes(issued.body.key.split('/')[2].split('.')[0]))).toEqual([]);
    expect((await putUpload(t, issued.body.url, IMAGE_BYTES.png)).status).toBe(200);
  });

  it('removes slots nobody attached a day after their expiry, with their files', async () => {
    const issued = await issue();
    await putUpload(t, issued.body.url, IMAGE_BYTES.png);
    const kept = await setAvatar(t, a.id);
    expect(existsSync(fileOf(issued.body.key))).toBe(true);
    t.clock.advance(25 * 60 * MIN);
    await runUserMaintenance(t.ctx);
    expect(existsSync(fileOf(issued.body.key))).toBe(false);
    expect(existsSync(fileOf(kept.key))).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: `/uploads/${kept.key}` })).statusCode).toBe(200);
  });

  it('the purge of a deleted user removes their avatar folder', async () => {
    const doomed = await signUp(t);
    const avatar = await setAvatar(t, doomed.id);
    await t.request('DELETE', `/v1/users/${doomed.id}`, { key: TEST_SK });
    expect(existsSync(fileOf(avatar.key))).toBe(false);
    t.clock.advance(31 * 24 * 60 * MIN);
    await runUserMaintenance(t.ctx);
    expect(existsSync(join(storage, 'avatars', doomed.id))).toBe(false);
  });
});
