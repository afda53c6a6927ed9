import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import { AppError } from '../errors/app-error.js';
import { sendError } from '../errors/render.js';
import { validationCode } from './route-family.js';
import { requestLog } from './logging.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
// Kept in step with the CORS registration in app.ts (auth-api.md §1.2); the CORS e2e test checks both paths.
const EXPOSED_HEADERS = 'Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id';

/**
 * Every failure leaves through here as the §3.1 envelope: validation, unknown routes, wrong methods,
 * malformed JSON, oversized bodies, wrong content types. Unknown errors become 500
 * common/internal-error; their message and stack go to the log only.
 */
export function installErrorHandling(app: FastifyInstance): void {
  // A shadow router of every registered path tells "unknown route" (404) from "wrong method" (405).
  const shadow = FindMyWay();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      try {
        shadow.on(method as 'GET', route.url, () => {});
      } catch {
        // the same path registered twice (e.g. with and without a trailing slash)
      }
    }
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = METHODS.filter((method) => shadow.find(method, path));
    if (allowed.length > 0 && !allowed.includes(request.method as never)) {
      reply.header('allow', allowed.join(', '));
      return sendError(reply, new AppError('common/method-not-allowed', `Method ${request.method} is not allowed here`));
    }
    return sendError(reply, new AppError('common/not-found', 'No such endpoint'));
  });

  app.setErrorHandler((error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error, request);
    if (appError.statusCode >= 500) requestLog(request).error({ err: error }, 'request failed');
    else if (appError.cause) requestLog(request).debug({ err: appError.cause }, appError.code);
    return sendError(reply, appError);
  });
}

/**
 * Fastify's `frameworkErrors`: a path that does not percent-decode or a parameter over the length limit
 * is refused by the router before any hook runs, so the envelope, the request id and the CORS headers
 * (auth-api.md §1.2: every response, errors included) are written here.
 */
export function onFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('x-request-id', request.id);
  reply.header('cache-control', 'no-store');
  reply.header('access-control-allow-origin', '*');
  reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  const url = request.raw.url ?? '';
  if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return sendError(reply, new AppError(validationCode(url), 'A path parameter is malformed or too long'));
  }
  requestLog(request).error({ err: error }, 'router failure');
  return sendError(reply, new AppError('common/internal-error', 'Internal server error'));
}

function toAppError(error: FastifyError | AppError, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError;
  if (fe.validation) {
    const fields = fe.validation.map((issue) => ({
      field: fieldName(issue.instancePath, issue.params as Record<string, unknown>),
      message: issue.message ?? 'is invalid',
    }));
    const where = fe.validationContext ?? 'request';
    const first = fields[0];
    const message = first ? `Invalid ${where}: ${first.field ? `${first.field} ` : ''}${first.message}` : `Invalid ${where}`;
    return new AppError(validationCode(request.url), message, { fields });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('common/unsupported-media-type', 'Content-Type must be application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('common/payload-too-large', 'Request body is too large');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError(validationCode(request.url), 'Request body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError(validationCode(request.url), 'Content-Length does not match the body');
  }
  if (error instanceof SyntaxError || fe.statusCode === 400) {
    return new AppError(validationCode(request.url), 'Request body is not valid JSON');
  }
  if (fe.statusCode === 413) return new AppError('common/payload-too-large', 'Request body is too large');
  if (fe.statusCode === 415) return new AppError('common/unsupported-media-type', 'Unsupported Content-Type');
  return new AppError('common/internal-error', 'Internal server error', undefined, { cause: error });
}

function fieldName(instancePath: string, params: Record<string, unknown>): string {
  const path = instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing = typeof params.missingProperty === 'string' ? params.missingProperty : '';
  return [path, missing].filter(Boolean).join('.');
}
