import { UAParser } from 'ua-parser-js';

// Parsing a User-Agent runs hundreds of regular expressions (~80 µs, a tenth of a sign-in's own work),
// and a server sees the same few hundred strings over and over: remember the recent answers.
const CACHE_SIZE = 1000;
const MAX_CACHED_LENGTH = 512;
const recent = new Map<string, string>();

/** "<Browser> on <OS>" from a User-Agent (auth-api.md OP-39). */
export function deviceInfo(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const known = recent.get(userAgent);
  if (known !== undefined) return known;
  const described = describe(userAgent);
  if (userAgent.length <= MAX_CACHED_LENGTH) {
    if (recent.size >= CACHE_SIZE) recent.delete(recent.keys().next().value!);
    recent.set(userAgent, described);
  }
  return described;
}

function describe(userAgent: string): string {
  const result = new UAParser(userAgent).getResult();
  const browser = result.browser.name ?? null;
  const os = result.os.name ? [result.os.name, result.os.version].filter(Boolean).join(' ') : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? userAgent.slice(0, 64);
}
