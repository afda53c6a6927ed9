import { describe, expect, it } from 'vitest';
import { ExpressionError, parseExpression, parseStoredExpression, type PolicyExpression } from './expression.js';
import type { Requester } from './requester.js';
import { evaluateExpression } from './residue.js';

function show(e: PolicyExpression): string {
  if (e.kind === 'atom') return e.atom.type === 'role' ? `role:${e.atom.name}` : e.atom.type;
  return `(${e.items.map(show).join(e.kind === 'and' ? ' & ' : ' | ')})`;
}

describe('policy expression grammar (data-and-rls.md §4.4)', () => {
  it.each([
    ['admin', 'admin'],
    ['  user  ', 'user'],
    ['guest | user & self', '(guest | (user & self))'],
    ['role:moderator | user & self', '(role:moderator | (user & self))'],
    ['(guest | user) & self', '((guest | user) & self)'],
    ['a_b', null],
    ['role:*', 'role:*'],
    ['role:team-lead_2', 'role:team-lead_2'],
    ['public&self|admin', '((public & self) | admin)'],
    ['((self))', 'self'],
  ])('parses %j as %s', (source, expected) => {
    if (expected === null) expect(() => parseExpression(source)).toThrow(ExpressionError);
    else expect(show(parseExpression(source))).toBe(expected);
  });

  it.each([
    '',
    '   ',
    'Admin', // atoms are case-sensitive
    'user |',
    '| user',
    'user & & self',
    '(user',
    'user)',
    'user self',
    '!user',
    'role:',
    'role:a b',
    'role:**',
    "user; drop table users",
    'owner',
    'x'.repeat(2000),
    '('.repeat(40) + 'user' + ')'.repeat(40),
  ])('refuses %j', (source) => {
    expect(() => parseExpression(source)).toThrow(ExpressionError);
  });

  it('a stored expression that does not parse denies', () => {
    const requester: Requester = { group: 'user', id: 'u1', role: 'user', scopes: null };
    expect(evaluateExpression(parseStoredExpression('nonsense &'), requester, 'row')).toBe('none');
  });
});

const R = {
  admin: { group: 'admin', id: 'a1', role: 'admin', scopes: null },
  user: { group: 'user', id: 'u1', role: 'user', scopes: null },
  moderator: { group: 'user', id: 'm1', role: 'moderator', scopes: null },
  guest: { group: 'guest', id: null, role: null, scopes: null },
  roleGuest: { group: 'guest', id: 'g1', role: 'guest', scopes: null },
} satisfies Record<string, Requester>;

describe('atom truth table and residues (§4.4)', () => {
  // [expression, admin, user, moderator, guest (no JWT), role-guest user] with self read against the row.
  it.each([
    ['admin', 'all', 'none', 'none', 'none', 'none'],
    ['user', 'all', 'all', 'all', 'none', 'none'],
    ['guest', 'all', 'all', 'all', 'all', 'all'],
    ['public', 'all', 'all', 'all', 'all', 'all'],
    ['role:moderator', 'none', 'none', 'all', 'none', 'none'],
    ['role:*', 'none', 'none', 'all', 'none', 'none'],
    ['role:user', 'none', 'all', 'none', 'none', 'none'],
    ['self', 'own', 'own', 'own', 'none', 'own'],
    ['user & self', 'own', 'own', 'own', 'none', 'none'],
    ['guest | user & self', 'all', 'all', 'all', 'all', 'all'],
    ['role:moderator | user & self', 'own', 'own', 'all', 'none', 'none'],
    ['admin | self', 'all', 'own', 'own', 'none', 'own'],
    ['(admin | self) & user', 'all', 'own', 'own', 'none', 'none'],
  ] as const)('%s → admin %s, user %s, moderator %s, guest %s, role-guest %s', (source, ...expected) => {
    const tree = parseExpression(source);
    const got = [R.admin, R.user, R.moderator, R.guest, R.roleGuest].map((r) => evaluateExpression(tree, r, 'row'));
    expect(got).toEqual(expected);
  });

  it.each([
    ['self', 'user', 'all'],
    ['self', 'guest', 'none'],
    ['self', 'roleGuest', 'all'],
    ['user & self', 'user', 'all'],
  ] as const)('with self = "has an id" (create, row filters): %s for %s → %s', (source, who, expected) => {
    expect(evaluateExpression(parseExpression(source), R[who], 'has-id')).toBe(expected);
  });
});
