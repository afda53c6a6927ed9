import { ERROR_STATUS, type ErrorCode } from './codes.js';

/** The one error type. Its code fixes the HTTP status; `cause` is logged, never sent. */
export class AppError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.statusCode = ERROR_STATUS[code];
    this.headers = options?.headers;
  }

  readonly headers?: Record<string, string>;
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
