import { UAParser } from 'ua-parser-js';

/** "<Browser> on <OS>" from a User-Agent (auth-api.md OP-39). */
export function deviceInfo(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const result = new UAParser(userAgent).getResult();
  const browser = result.browser.name ?? null;
  const os = result.os.name ? [result.os.name, result.os.version].filter(Boolean).join(' ') : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? userAgent.slice(0, 64);
}
