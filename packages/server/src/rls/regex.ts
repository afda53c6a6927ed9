import { RE2JS } from 're2js';

export class RegexError extends Error {}

const MAX_LENGTH = 256;
// Escapes whose meaning is the same in RE2 and PostgreSQL's ARE (e.g. `\b` is a word boundary in RE2
// but a backspace in PostgreSQL, so it is refused rather than meaning two things).
const SAFE_ESCAPES = new Set([...'dDsSwW.\\*+?()[]{}|^$-/nt'.split('')]);

/**
 * D-34: `$regex` runs on a linear-time engine — RE2 (re2js) on SQLite; on PostgreSQL the pattern is
 * first parsed by RE2, so backreferences and lookaround (the constructs that make regexes exponential)
 * never reach the database. Only the syntax both engines read the same way is accepted; `.` matches
 * newlines on both (RE2 DOTALL = PostgreSQL's default), and a leading `(?i)` makes it case-insensitive.
 */
export function checkRegex(pattern: unknown): string {
  if (typeof pattern !== 'string') throw new RegexError('$regex takes a string pattern');
  if (pattern.length === 0 || pattern.length > MAX_LENGTH) throw new RegexError(`$regex patterns hold 1–${MAX_LENGTH} characters`);
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined || !SAFE_ESCAPES.has(next)) throw new RegexError(`$regex: the escape \\${next ?? ''} is not supported`);
      i++;
    } else if (c === '(' && pattern[i + 1] === '?') {
      const leadingCaseFlag = i === 0 && pattern.startsWith('(?i)');
      if (!leadingCaseFlag && pattern[i + 2] !== ':') throw new RegexError('$regex: only (?:…) groups and a leading (?i) are supported');
    } else if (c === '{') {
      const bound = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (bound && (Number(bound[1]) > 255 || Number(bound[3] || 0) > 255)) throw new RegexError('$regex: repetition counts stop at 255');
    }
  }
  try {
    RE2JS.compile(pattern, RE2JS.DOTALL);
  } catch (error) {
    throw new RegexError(`$regex: ${(error as Error).message}`);
  }
  return pattern;
}

const cache = new Map<string, RE2JS>();

/** The SQLite side of `$regex` (registered as the SQL function latch_regexp). */
export function regexMatches(pattern: string, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  let re = cache.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern, RE2JS.DOTALL);
    if (cache.size > 256) cache.clear();
    cache.set(pattern, re);
  }
  return re.matcher(value).find();
}
