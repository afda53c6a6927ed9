import { AppError } from '../errors/app-error.js';

const TIMEOUT_MS = 10_000;
const USER_AGENT = 'Latch-Auth-Server';

export interface ProviderResponse {
  status: number;
  body: unknown;
}

/**
 * One call to a provider. Network failures, timeouts and 5xx answers are the provider's trouble:
 * 500 auth/oauth-callback-failed (auth-api.md §8.2 step 2). 4xx answers are returned to the caller,
 * which decides whether they mean "the code was refused".
 */
export async function callProvider(url: string, init: { method?: 'GET' | 'POST'; form?: Record<string, string | undefined>; bearer?: string; accept?: string }): Promise<ProviderResponse> {
  const headers: Record<string, string> = { accept: init.accept ?? 'application/json', 'user-agent': USER_AGENT };
  let body: string | undefined;
  if (init.form) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(init.form)) if (value !== undefined) params.set(key, value);
    body = params.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  let response: Response;
  try {
    response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw providerFailed(`could not reach ${new URL(url).host}`, error);
  }
  const text = await response.text().catch(() => '');
  if (response.status >= 500) throw providerFailed(`${new URL(url).host} answered ${response.status}`);
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    if (response.ok) throw providerFailed(`${new URL(url).host} answered with something other than JSON`);
  }
  return { status: response.status, body: parsed };
}

export function providerFailed(message: string, cause?: unknown): AppError {
  return new AppError('auth/oauth-callback-failed', `The sign-in provider could not be used: ${message}`, undefined, { cause });
}

export function codeRejected(message: string, cause?: unknown): AppError {
  return new AppError('auth/invalid-oauth-code', message, undefined, { cause });
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
