import { AppError } from '../errors/app-error.js';

/**
 * LATCH_ALLOWED_REDIRECT_URLS (config.md): each entry is an exact origin (`https://app.example`), an
 * origin with any port (`http://localhost:*`), or an origin plus a path prefix
 * (`https://example.com/app/`). Anything else is refused, never followed (RFC 9700 §4.11 open
 * redirectors, ASVS 10.4.1 exact redirect matching).
 */
export function isAllowedRedirect(candidate: string, allowList: readonly string[]): boolean {
  const url = parseHttpUrl(candidate);
  if (!url) return false;
  return allowList.some((entry) => matchesEntry(url, entry));
}

/** The parsed URL when allowed, else 400 auth/invalid-redirect-url. */
export function assertAllowedRedirect(candidate: string, allowList: readonly string[], field = 'redirect'): URL {
  if (!isAllowedRedirect(candidate, allowList)) {
    throw new AppError('auth/invalid-redirect-url', `${field} is not on this server's redirect allow-list`, { field });
  }
  return new URL(candidate);
}

function parseHttpUrl(value: string): URL | undefined {
  if (value.length > 2048 || /[\s\\]/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // Userinfo in a redirect target is a classic confusion trick (`https://app.example@evil.test`).
  if (url.username || url.password) return undefined;
  return url;
}

function matchesEntry(url: URL, entry: string): boolean {
  const wildcardPort = /^(https?:\/\/[^/:]+):\*(\/.*)?$/.exec(entry);
  let allowed: URL;
  let anyPort = false;
  try {
    if (wildcardPort) {
      allowed = new URL(`${wildcardPort[1]}${wildcardPort[2] ?? ''}`);
      anyPort = true;
    } else {
      allowed = new URL(entry);
    }
  } catch {
    return false;
  }
  if (url.protocol !== allowed.protocol || url.hostname !== allowed.hostname) return false;
  if (!anyPort && url.port !== allowed.port) return false;
  const prefix = allowed.pathname;
  if (prefix === '/' || prefix === '') return true;
  // Path prefixes match whole segments: `/app` allows `/app` and `/app/x`, never `/application`.
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return url.pathname === prefix || url.pathname.startsWith(base);
}
