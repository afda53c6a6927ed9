import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors/app-error.js';
import { errorResponses } from '../../http/schemas.js';
import { MAX_AVATAR_BYTES, readAvatar, receiveUpload, tooLarge } from './avatars.js';
import { verifyUploadSignature } from './upload-signature.js';

const tags = ['uploads'];
const Params = Type.Object({
  userId: Type.String({ pattern: '^[0-9a-f-]{36}$' }),
  file: Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}\\.(png|jpg|gif|webp)$' }),
});
type ParamsType = typeof Params.static;
const DISCARD_LIMIT = 16 * 1024 * 1024;

/**
 * Avatar objects served by Latch itself (decisions.md §6): `PUT /uploads/avatars/:key?exp&sig`
 * and `GET /uploads/avatars/:key`. No API key: a presigned PUT and a browser `<img>` cannot send one.
 * Registered in app.ts under /uploads/avatars.
 */
export function avatarUploadRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Scoped to this plugin: the body reaches the handler as the raw request stream, whatever its
    // declared type (which is not trusted anyway), so it is streamed to disk, never buffered whole.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    app.put('/:userId/:file', {
      config: { auth: 'none' },
      // Signature, expiry and declared size are checked before a byte of the body is read.
      onRequest: async (request) => authorizeUpload(ctx, request),
      onResponse: async (request) => discardUnreadBody(request),
      schema: {
        operationId: 'putAvatarObject',
        tags,
        summary: 'Upload an avatar to a signed URL from U09 (15 min, 5 MiB, PNG/JPEG/GIF/WebP by content)',
        params: Params,
        querystring: Type.Object({ exp: Type.Integer(), sig: Type.String() }),
        response: {
          200: Type.Object({ key: Type.String(), contentType: Type.String(), size: Type.Integer() }),
          ...errorResponses(400, 403, 413, 415),
        },
      },
      handler: async (request) => {
        const body = request.body instanceof Readable ? request.body : Readable.from([]);
        return receiveUpload(ctx, keyOf(request.params), body);
      },
    });

    app.get('/:userId/:file', {
      config: { auth: 'none' },
      schema: {
        operationId: 'getAvatarObject',
        tags,
        summary: 'Read an avatar object (public)',
        params: Params,
        response: { 200: Type.Any({ description: 'the image bytes' }), ...errorResponses(400, 404) },
      },
      handler: async (request, reply) => {
        const avatar = await readAvatar(ctx, keyOf(request.params));
        // Keys are random and never rewritten, so the bytes may be cached for good; nosniff and a
        // sandboxing CSP keep a polyglot file from ever running as a document (OWASP File Upload).
        reply
          .header('content-type', avatar.contentType)
          .header('content-length', String(avatar.size))
          .header('cache-control', 'public, max-age=31536000, immutable')
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('content-disposition', 'inline');
        return reply.send(avatar.stream);
      },
    });
  };
}

/**
 * After a refusal (403, 413, 415) the rest of the body is still on the socket. Read and drop it, up
 * to a bound, so the connection can close cleanly and the client sees the answer instead of a reset;
 * past the bound the socket is destroyed.
 */
function discardUnreadBody(request: FastifyRequest): void {
  const raw = request.raw;
  if (raw.complete || raw.destroyed) return;
  let discarded = 0;
  raw.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT) raw.destroy();
  });
  raw.resume();
}

function keyOf(params: ParamsType): string {
  return `avatars/${params.userId}/${params.file}`;
}

async function authorizeUpload(ctx: AppContext, request: FastifyRequest): Promise<void> {
  const params = request.params as Partial<ParamsType>;
  const query = request.query as Record<string, unknown>;
  const exp = typeof query.exp === 'string' && /^\d{1,12}$/.test(query.exp) ? Number(query.exp) : NaN;
  const sig = typeof query.sig === 'string' ? query.sig : '';
  const key = `avatars/${params.userId ?? ''}/${params.file ?? ''}`;
  // 403 like an object store's presigned URL; never 401, which clients answer by refreshing tokens.
  if (!Number.isFinite(exp) || !verifyUploadSignature(ctx, key, exp, sig)) {
    throw new AppError('user/forbidden', 'The upload URL signature is not valid');
  }
  if (ctx.clock.now() >= exp * 1000) throw new AppError('user/forbidden', 'The upload URL has expired');
  const length = Number(request.headers['content-length'] ?? 0);
  if (length > MAX_AVATAR_BYTES) throw tooLarge();
}
