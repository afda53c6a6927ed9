/**
 * Policy expressions (data-and-rls.md §4.4):
 *
 *   expr     = and_expr { "|" and_expr }
 *   and_expr = term { "&" term }
 *   term     = atom | "(" expr ")"
 *   atom     = "admin" | "user" | "guest" | "self" | "public" | "role:*" | "role:" name
 *
 * `&` binds tighter than `|`; there is no negation, so every expression is monotone in `self`:
 * for a given requester it reduces to TRUE, FALSE or SELF ("own rows only").
 */
export type Atom =
  | { type: 'admin' | 'user' | 'guest' | 'self' | 'public' }
  | { type: 'role'; name: string } // name '*' = any custom role
  | { type: 'invalid' }; // a stored expression that no longer parses: evaluates to deny (§4.4)

export type PolicyExpression = { kind: 'atom'; atom: Atom } | { kind: 'and' | 'or'; items: PolicyExpression[] };

export class ExpressionError extends Error {}

const MAX_LENGTH = 1024;
const MAX_DEPTH = 32;
const NAME = /^[A-Za-z0-9_-]+$/;
const TOKEN = /\s*(?:([|&()])|([A-Za-z0-9_:*-]+)|(\S))/y;

export function parseExpression(source: string): PolicyExpression {
  if (typeof source !== 'string') throw new ExpressionError('expression must be a string');
  if (source.length > MAX_LENGTH) throw new ExpressionError(`expression is longer than ${MAX_LENGTH} characters`);
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const match = TOKEN.exec(source);
    if (!match) break; // only trailing whitespace is left
    if (match[3] !== undefined) throw new ExpressionError(`unexpected character "${match[3]}"`);
    tokens.push(match[1] ?? match[2]);
  }
  if (tokens.length === 0) throw new ExpressionError('expression is empty');
  let position = 0;

  const parseOr = (depth: number): PolicyExpression => {
    if (depth > MAX_DEPTH) throw new ExpressionError('expression is nested too deeply');
    const items = [parseAnd(depth)];
    while (tokens[position] === '|') {
      position++;
      items.push(parseAnd(depth));
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  };
  const parseAnd = (depth: number): PolicyExpression => {
    const items = [parseTerm(depth)];
    while (tokens[position] === '&') {
      position++;
      items.push(parseTerm(depth));
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  };
  const parseTerm = (depth: number): PolicyExpression => {
    const token = tokens[position++];
    if (token === undefined) throw new ExpressionError('expression ends too early');
    if (token === '(') {
      const inner = parseOr(depth + 1);
      if (tokens[position++] !== ')') throw new ExpressionError('missing ")"');
      return inner;
    }
    return { kind: 'atom', atom: parseAtom(token) };
  };

  const tree = parseOr(0);
  if (position !== tokens.length) throw new ExpressionError(`unexpected "${tokens[position]}"`);
  return tree;
}

function parseAtom(token: string): Atom {
  switch (token) {
    case 'admin':
    case 'user':
    case 'guest':
    case 'self':
    case 'public':
      return { type: token };
  }
  if (token === 'role:*') return { type: 'role', name: '*' };
  if (token.startsWith('role:') && NAME.test(token.slice(5))) return { type: 'role', name: token.slice(5) };
  throw new ExpressionError(`unknown atom "${token}" (expected admin, user, guest, self, public, role:* or role:<name>)`);
}

/** Parse a stored expression; one that does not parse any more denies instead of failing the request. */
export function parseStoredExpression(source: string): PolicyExpression {
  try {
    return parseExpression(source);
  } catch {
    return { kind: 'atom', atom: { type: 'invalid' } };
  }
}
