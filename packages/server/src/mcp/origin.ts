import type { AppContext } from '../context.js';

/**
 * Origins allowed to call /mcp from a browser (mcp.md §2.1 DNS-rebinding defence): the public URL's
 * origin and the LATCH_ALLOWED_REDIRECT_URLS entries (exact origin, or `*` as the port).
 */
export function allowedOrigin(ctx: AppContext, origin: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.origin === new URL(ctx.config.publicUrl).origin) return true;
  return ctx.config.allowedRedirectUrls.some((entry) => {
    const wildcard = /^(https?):\/\/([^/:]+):\*/.exec(entry);
    if (wildcard) return parsed.protocol === `${wildcard[1]}:` && parsed.hostname === wildcard[2];
    try {
      return new URL(entry).origin === parsed.origin;
    } catch {
      return false;
    }
  });
}
