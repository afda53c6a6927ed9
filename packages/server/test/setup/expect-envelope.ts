import { expect } from 'vitest';

interface AnyResponse {
  status: number;
  body: any;
  headers: Record<string, unknown> | Headers;
}

function header(res: AnyResponse, name: string): string | undefined {
  const value = res.headers instanceof Headers ? res.headers.get(name) : res.headers[name];
  return value === undefined || value === null ? undefined : String(value);
}

/**
 * The error envelope of auth-api.md §3.1 exactly, with the transport guarantees every failure keeps
 * (§1.2 CORS headers, a request id) and nothing internal (no stack, no file paths, no SQL).
 */
export function expectErrorEnvelope(res: AnyResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(header(res, 'content-type')).toMatch(/^application\/json/);
  expect(Object.keys(res.body).sort()).toEqual(['code', 'error', 'message', 'statusCode', 'success']);
  expect(res.body).toMatchObject({ success: false, statusCode: status, code, error: { code, message: res.body.message } });
  expect(typeof res.body.message).toBe('string');
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\/src\/|\.ts:\d+|\.js:\d+|FST_|SQLITE_|syntax error|relation "/i);
  expect(header(res, 'access-control-allow-origin')).toBe('*');
  expect(header(res, 'x-request-id')).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
}
