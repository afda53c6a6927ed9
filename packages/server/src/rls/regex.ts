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
    re = RE2JS.compile(pattern.startsWith(CASE_FLAG) ? asciiCaseless(pattern.slice(CASE_FLAG.length)) : pattern, RE2JS.DOTALL);
    if (cache.size > 256) cache.clear();
    cache.set(pattern, re);
  }
  return re.matcher(value).find();
}

const CASE_FLAG = '(?i)';
const PUNCTUATION = /^[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]$/;

function isAsciiLetter(c: string): boolean {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

function otherCase(c: string): string {
  return c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
}

/** A literal character inside a class, escaped when it is punctuation (so `-`, `]`, `^` stay literal). */
function classLiteral(c: string): string {
  return PUNCTUATION.test(c) ? `\\${c}` : c;
}

/**
 * decisions.md §4: case-insensitive operators fold the 26 ASCII letters only. PostgreSQL reads `(?i)`
 * that way under COLLATE "C"; RE2's `(?i)` folds Unicode (É/é, K/U+212A, s/U+017F). So on SQLite the
 * flag is dropped and every ASCII letter is spelled in both cases instead: `a` → `[aA]`, `[a-c]` →
 * `[a-cABC]`, `[:upper:]`/`[:lower:]` → `[:alpha:]` (what PostgreSQL does under `(?i)`). Escapes are
 * kept; `checkRegex` allows no escaped letter that names a case (only \d \s \w, their negations, \n \t).
 * The input is a pattern `checkRegex` accepted; the output is only ever compiled by RE2.
 */
export function asciiCaseless(pattern: string): string {
  const chars = [...pattern]; // code points: a surrogate pair is one character
  let out = '';
  let i = 0;
  while (i < chars.length) {
    const c = chars[i];
    if (c === '\\') {
      out += c + (chars[i + 1] ?? '');
      i += 2;
    } else if (c === '[') {
      const [text, next] = caselessClass(chars, i);
      out += text;
      i = next;
    } else {
      out += isAsciiLetter(c) ? `[${c}${otherCase(c)}]` : c;
      i++;
    }
  }
  return out;
}

/** One bracket expression from `chars[start] === '['`: its rewritten text and the index after it. */
function caselessClass(chars: string[], start: number): [string, number] {
  let i = start + 1;
  let out = '[';
  if (chars[i] === '^') {
    out += '^';
    i++;
  }
  let first = true;
  // One class member: an escape (kept as written) or a literal character (its code point).
  const atom = (): { text: string; char: string | null } => {
    if (chars[i] === '\\') {
      const escaped = chars[i + 1] ?? '';
      i += 2;
      const char = escaped === 'n' ? '\n' : escaped === 't' ? '\t' : PUNCTUATION.test(escaped) ? escaped : null;
      return { text: `\\${escaped}`, char };
    }
    const char = chars[i++];
    return { text: classLiteral(char), char };
  };
  while (i < chars.length && (chars[i] !== ']' || first)) {
    first = false;
    const end = namedClassEnd(chars, i);
    if (end !== -1) {
      const name = chars.slice(i + 2, end - 1).join('');
      out += name === 'upper' || name === 'lower' ? '[:alpha:]' : chars.slice(i, end + 1).join('');
      i = end + 1;
      continue;
    }
    const low = atom();
    if (chars[i] === '-' && chars[i + 1] !== undefined && chars[i + 1] !== ']' && low.char !== null) {
      i++;
      const high = atom();
      out += `${low.text}-${high.text}`;
      if (high.char === null) continue;
      for (let code = low.char.codePointAt(0)!; code <= high.char.codePointAt(0)!; code++) {
        const c = String.fromCodePoint(code);
        if (isAsciiLetter(c)) out += otherCase(c);
        if (code > 0x7a) break;
      }
    } else {
      out += low.text;
      if (low.char !== null && isAsciiLetter(low.char)) out += otherCase(low.char);
    }
  }
  return [`${out}]`, i + 1];
}

/** RE2 reads `[:` as a named class up to the next `:]` (an unknown name is an error); -1 when none starts here. */
function namedClassEnd(chars: string[], i: number): number {
  if (chars[i] !== '[' || chars[i + 1] !== ':') return -1;
  for (let j = i + 2; j + 1 < chars.length; j++) {
    if (chars[j] === ':' && chars[j + 1] === ']') return j + 1;
  }
  return -1;
}
