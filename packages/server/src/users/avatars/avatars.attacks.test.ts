import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/databases.js';
import { signUp, type SignedUpUser } from '../../../test/helpers/factories.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { createTestApp, TEST_SK, type TestApp } from '../../../test/helpers/test-app.js';
import { IMAGE_BYTES, putUpload } from '../../../test/helpers/users.js';
import { MAX_AVATAR_BYTES, MAX_PENDING_UPLOADS, removeAbandonedUploads } from './avatars.js';

describe.each(dialects)('avatar upload attacks (%s)', (dialect) => {
  let t: TestApp;
  let a: SignedUpUser;
  let b: SignedUpUser;
  let storage: string;
  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'latch-avatar-attacks-'));
    t = await createTestApp(dialect, { env: { LATCH_STORAGE_DIR: storage } });
    a = await signUp(t);
    b = await signUp(t);
  });
  afterAll(async () => {
    await t.close();
  });
  const issue = async (who: SignedUpUser = a, filename = 'me.png') => {
    const res = await t.request('POST', `/v1/users/${who.id}/avatar/upload-url`, { token: who.accessToken, body: { filename, contentType: 'image/png' } });
    expect(res.status).toBe(200);
    return res.body as { url: string; key: string };
  };
  const filesOf = (who: SignedUpUser) => (existsSync(join(storage, 'avatars', who.id)) ? readdirSync(join(storage, 'avatars', who.id)) : []);

  it.each([
    ['an HTML page with a script', '<html><script>alert(document.cookie)</script></html>'],
    ['an SVG with a script', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ['a JavaScript file', 'fetch("/steal?c=" + document.cookie)'],
    ['an empty body', ''],
  ])('refuses %s declared as image/png with 415 and keeps nothing', async (_name, content) => {
    const before = filesOf(a);
    const slot = await issue();
    const res = await putUpload(t, slot.url, content, 'image/png');
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 415, code: 'common/unsupported-media-type' });
    expect(filesOf(a)).toEqual(before);
    expect((await t.app.inject({ method: 'GET', url: `/uploads/${slot.key}` })).statusCode).toBe(404);
    const attach = await t.request('PATCH', `/v1/users/${a.id}/avatar`, { token: a.accessToken, body: { s3Key: slot.key } });
    expect(attach.status).toBe(400);
  });

  it('serves a PNG-headed polyglot only as an image that cannot run as a document', async () => {
    const slot = await issue();
    const polyglot = Buffer.concat([IMAGE_BYTES.png.subarray(0, 8), Buffer.from('<html><script>alert(1)</script></html>')]);
    expect((await putUpload(t, slot.url, polyglot, 'text/html')).status).toBe(200);
    const read = await t.app.inject({ method: 'GET', url: `/uploads/${slot.key}` });
    expect(read.headers['content-type']).toBe('image/png');
    expect(read.headers['x-content-type-options']).toBe('nosniff');
    expect(read.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
  });

  it('refuses an upload URL replayed after its 15 minutes', async () => {
    const slot = await issue();
    t.clock.advance(15 * 60_000);
    const res = await putUpload(t, slot.url, IMAGE_BYTES.png);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'user/forbidden' });
  });

  it('refuses a used upload URL (single use) even before it expires', async () => {
    const slot = await issue();
    expect((await putUpload(t, slot.url, IMAGE_BYTES.png)).status).toBe(200);
    const replay = await putUpload(t, slot.url, IMAGE_BYTES.gif);
    expect({ status: replay.status, code: replay.body.code }).toEqual({ status: 403, code: 'user/forbidden' });
    const read = await t.app.inject({ method: 'GET', url: `/uploads/${slot.key}` });
    expect(read.rawPayload.equals(IMAGE_BYTES.png)).toBe(true);
  });

  it('refuses one user\'s signature on another user\'s key, and any tampering with key, expiry or signature', async () => {
    const mine = await issue(a);
    const theirs = await issue(b);
    const mineUrl = new URL(mine.url);
    const theirsUrl = new URL(theirs.url);
    const variants = [
      // A's exp+sig on B's key: overwrite B's upload slot.
      `${theirsUrl.pathname}${mineUrl.search}`,
      // A's key moved under B's folder.
      `${mineUrl.pathname.replace(a.id, b.id)}${mineUrl.search}`,
      `${mineUrl.pathname}?exp=${Number(mineUrl.searchParams.get('exp')) + 3600}&sig=${mineUrl.searchParams.get('sig')}`,
      `${mineUrl.pathname}?exp=${mineUrl.searchParams.get('exp')}&sig=${'0'.repeat(64)}`,
      `${mineUrl.pathname}?exp=${mineUrl.searchParams.get('exp')}`,
      `${mineUrl.pathname.replace('.png', '.gif')}${mineUrl.search}`,
    ];
    for (const url of variants) {
      const res = await t.app.inject({ method: 'PUT', url, payload: IMAGE_BYTES.png, headers: { 'content-type': 'image/png' } });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 403 });
    }
    expect((await t.app.inject({ method: 'GET', url: `/uploads/${theirs.key}` })).statusCode).toBe(404);
    expect((await t.request('PATCH', `/v1/users/${b.id}/avatar`, { token: b.accessToken, body: { s3Key: mine.key } })).status).toBe(400);
  });

  it('never lets `filename` or the path name a file: traversal goes nowhere', async () => {
    for (const filename of ['../../../../etc/passwd', '..\\..\\boot.ini', '/tmp/evil.png', 'a/../../b.png', '%2e%2e%2fescape.png']) {
      const slot = await issue(a, filename);
      expect(slot.key).toMatch(new RegExp(`^avatars/${a.id}/[A-Za-z0-9_-]{22}\\.png$`));
    }
    for (const path of ['/uploads/avatars/../../secret', `/uploads/avatars/${a.id}/..%2F..%2Fsecret.png`, `/uploads/avatars/${a.id}/%2e%2e.png`]) {
      const res = await t.app.inject({ method: 'PUT', url: `${path}?exp=9999999999&sig=${'a'.repeat(64)}`, payload: IMAGE_BYTES.png });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      const get = await t.app.inject({ method: 'GET', url: path });
      expect(get.statusCode).toBeGreaterThanOrEqual(400);
      expect(get.statusCode).toBeLessThan(500);
    }
    expect(readdirSync(storage).sort()).toEqual(['avatars']);
  });

  it(`cannot park more than ${MAX_PENDING_UPLOADS} uploads waiting to be attached (disk exhaustion); attaching or the clean-up frees slots`, async () => {
    const c = await signUp(t);
    const slots = [];
    for (let i = 0; i < MAX_PENDING_UPLOADS; i++) slots.push(await issue(c));
    const refused = await t.request('POST', `/v1/users/${c.id}/avatar/upload-url`, { token: c.accessToken, body: { filename: 'more.png', contentType: 'image/png' } });
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 429, code: 'auth/too-many-requests' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    // Attaching one frees its slot.
    expect((await putUpload(t, slots[0].url, IMAGE_BYTES.png)).status).toBe(200);
    expect((await t.request('PATCH', `/v1/users/${c.id}/avatar`, { token: c.accessToken, body: { s3Key: slots[0].key } })).status).toBe(200);
    await issue(c);
    expect((await t.request('POST', `/v1/users/${c.id}/avatar/upload-url`, { token: c.accessToken, body: { filename: 'more.png', contentType: 'image/png' } })).status).toBe(429);

    // A day past their expiry the clean-up removes the unused ones, and the budget is back.
    t.clock.advance(24 * 60 * 60_000 + 16 * 60_000);
    await removeAbandonedUploads(t.ctx);
    // (c's access token has expired by now: the secret key acts for the user.)
    const again = await t.request('POST', `/v1/users/${c.id}/avatar/upload-url`, { key: TEST_SK, body: { filename: 'later.png', contentType: 'image/png' } });
    expect(again.status).toBe(200);
  });

  it('refuses uploads for a user who was banned or deleted after the URL was issued', async () => {
    const c = await signUp(t);
    const slot = await issue(c);
    await t.ctx.db.updateTable('users').set({ banned_at: t.clock.now() }).where('id', '=', c.id).execute();
    expect((await putUpload(t, slot.url, IMAGE_BYTES.png)).status).toBe(403);
  });
});

describe('avatar uploads over a real socket (sqlite)', () => {
  let server: TestServer;
  let storage: string;
  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'latch-avatar-socket-'));
    server = await startTestServer('sqlite', { env: { LATCH_STORAGE_DIR: storage } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers an oversized streamed upload with 413 on the socket, then accepts a real image on the same URL', async () => {
    const email = `socket-${Date.now()}@example.test`;
    const up = await server.call('POST', '/v1/auth/email/signup', { body: { method: 'password', email, password: 'Correct-Horse-7-Battery!', name: 'Sock' } });
    const me = await server.call('GET', '/v1/auth/me', { token: up.body.accessToken });
    const slot = await server.call('POST', `/v1/users/${me.body.id}/avatar/upload-url`, { token: up.body.accessToken, body: { filename: 'a.png', contentType: 'image/png' } });
    const path = new URL(slot.body.url);
    const chunk = Buffer.alloc(256 * 1024, 1);
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        // 8 MiB without a Content-Length: the server must stop at 5 MiB and still answer.
        if (sent >= 8 * 1024 * 1024) return controller.close();
        controller.enqueue(sent === 0 ? Buffer.concat([IMAGE_BYTES.png.subarray(0, 8), chunk.subarray(8)]) : chunk);
        sent += chunk.length;
      },
    });
    const big = await fetch(`${server.url}${path.pathname}${path.search}`, { method: 'PUT', body, headers: { 'content-type': 'image/png' }, duplex: 'half' } as RequestInit).catch((error: Error) => error);
    if (big instanceof Error) throw big;
    expect(big.status).toBe(413);
    expect((await big.json()).code).toBe('common/payload-too-large');
    expect(sent).toBeLessThan(8 * 1024 * 1024 + chunk.length);
    expect(MAX_AVATAR_BYTES).toBe(5 * 1024 * 1024);

    const ok = await fetch(`${server.url}${path.pathname}${path.search}`, { method: 'PUT', body: IMAGE_BYTES.jpeg, headers: { 'content-type': 'image/jpeg' } });
    expect(ok.status).toBe(200);
    const read = await fetch(`${server.url}${path.pathname}`);
    expect(read.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await read.arrayBuffer()).equals(IMAGE_BYTES.jpeg)).toBe(true);
  });
});
