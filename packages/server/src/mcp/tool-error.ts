import { isAppError } from '../errors/app-error.js';

/** Tool error vocabulary (mcp.md §7.3, M-18). */
export type ToolErrorCode = 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'VALIDATION_ERROR' | 'CONFLICT' | 'RATE_LIMITED' | 'INTERNAL';

/** A failure reported inside a successful JSON-RPC response: `isError: true` (mcp.md §4.2). */
export class ToolError extends Error {
  constructor(
    readonly code: ToolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

export function toolErrorResult(error: ToolError) {
  return {
    isError: true,
    content: [{ type: 'text' as const, text: JSON.stringify({ error: { code: error.code, message: error.message } }) }],
  };
}

/** The same service layer as REST throws AppErrors; their status picks the tool error code. */
export function toToolError(error: unknown): ToolError | undefined {
  if (error instanceof ToolError) return error;
  if (!isAppError(error)) return undefined;
  const status = error.statusCode;
  const code: ToolErrorCode =
    status === 404 ? 'NOT_FOUND'
    : status === 409 ? 'CONFLICT'
    : status === 401 ? 'UNAUTHORIZED'
    : status === 403 ? 'FORBIDDEN'
    : status === 429 ? 'RATE_LIMITED'
    : status >= 500 ? 'INTERNAL'
    : 'VALIDATION_ERROR';
  return new ToolError(code, status >= 500 ? 'Internal error' : error.message);
}
