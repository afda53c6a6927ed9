import type { FastifyReply } from 'fastify';
import { AppError } from './app-error.js';

/** The error envelope of auth-api.md §3.1 (OP-2); the only place that writes it. */
export function errorBody(error: AppError) {
  return {
    success: false as const,
    statusCode: error.statusCode,
    code: error.code,
    message: error.message,
    error: {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    },
  };
}

export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  if (error.headers) reply.headers(error.headers);
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(errorBody(error));
}
