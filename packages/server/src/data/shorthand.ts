import { RESERVED_TABLE_NAMES } from '../tables/definition.js';

const SHORTHAND = /^\/v1\/([^/?#]+)(\/[^/?#]+)?(\?.*)?$/;

/**
 * §7.1: `/v1/:tableName[/:id|/spec|/openapi]` behaves exactly like `/v1/data/…`. Applied as Fastify's
 * `rewriteUrl`, before routing. Reserved first segments (D-32: data, auth, users, files, admin, …) are
 * never rewritten, so the shorthand cannot shadow another API, and their unknown paths stay 404/405.
 */
export function dataShorthandUrl(url: string): string {
  const match = SHORTHAND.exec(url);
  if (!match) return url;
  let name: string;
  try {
    name = decodeURIComponent(match[1]);
  } catch {
    return url;
  }
  if (RESERVED_TABLE_NAMES.has(name)) return url;
  return `/v1/data/${match[1]}${match[2] ?? ''}${match[3] ?? ''}`;
}
