import type { FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';

/**
 * Logs never hold passwords, tokens or keys (ASVS 7.1.1): headers and body fields by name, and
 * secret-looking query parameters in logged URLs.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.refreshToken',
  '*.accessToken',
  '*.token',
  '*.mfaCode',
  '*.clientSecret',
  '*.key',
];

const SECRET_QUERY = /([?&](?:token|code|state|mfaToken|refreshToken|accessToken|sig|key)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[Redacted]');
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      serializers: {
        req: (req: { method: string; url: string; id?: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), id: req.id, ip: req.ip }),
      },
    },
    destination,
  );
}

/**
 * The logger for a line about one request, carrying its `reqId`. Fastify's per-request child logger is
 * only made when request logging is on (app.ts): at `warn` a child per request cost more than the rest of
 * a cached `/me`, so the rare error line makes its own.
 */
export function requestLog(request: FastifyRequest): Logger {
  const log = request.log as Logger;
  return 'reqId' in log.bindings() ? log : log.child({ reqId: request.id });
}
