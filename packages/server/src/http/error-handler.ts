import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import { AppError } from '../errors/app-error.js';
import { sendError } from '../errors/render.js';
import { validationCode } from './route-family.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

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
    if (appError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    else if (appError.cause) request.log.debug({ err: appError.cause }, appError.code);
    return sendError(reply, appError);
  });
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
