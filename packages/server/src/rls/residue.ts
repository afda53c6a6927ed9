import type { Atom, PolicyExpression } from './expression.js';
import { BUILT_IN_ROLES, type Requester } from './requester.js';

/**
 * What an expression means for one requester (data-and-rls.md §4.4 "substitute constants, simplify"):
 * `all` = true for every row, `none` = false, `own` = true exactly on rows whose createdBy is the requester.
 */
export type Residue = 'all' | 'own' | 'none';

/**
 * How `self` is read: against the row (`row`), or as "the requester has an id" (`has-id`), which is
 * D-8 for create (the new row will be theirs) and D-11 inside row-filter expressions.
 */
export type SelfMode = 'row' | 'has-id';

export function evaluateExpression(expression: PolicyExpression, requester: Requester, selfMode: SelfMode): Residue {
  if (expression.kind === 'atom') return atomResidue(expression.atom, requester, selfMode);
  const parts = expression.items.map((item) => evaluateExpression(item, requester, selfMode));
  if (expression.kind === 'or') {
    if (parts.includes('all')) return 'all';
    return parts.includes('own') ? 'own' : 'none';
  }
  if (parts.includes('none')) return 'none';
  return parts.includes('own') ? 'own' : 'all';
}

function atomResidue(atom: Atom, requester: Requester, selfMode: SelfMode): Residue {
  const truth = (value: boolean): Residue => (value ? 'all' : 'none');
  switch (atom.type) {
    case 'admin':
      return truth(requester.group === 'admin');
    case 'user': // authenticated, admin included
      return truth(requester.group === 'user' || requester.group === 'admin');
    case 'guest': // D-6: every requester, authenticated or not
    case 'public':
      return 'all';
    case 'role':
      if (requester.role === null) return 'none';
      return truth(atom.name === '*' ? !BUILT_IN_ROLES.has(requester.role) : requester.role === atom.name);
    case 'self':
      // An empty or missing requester id never matches anything (§4.3).
      if (!requester.id) return 'none';
      return selfMode === 'row' ? 'own' : 'all';
    case 'invalid':
      return 'none';
  }
}

/** A residue applied to one row: `own` holds when the row's createdBy is the (non-empty) requester id. */
export function residueHolds(residue: Residue, requester: Requester, createdBy: string): boolean {
  if (residue === 'all') return true;
  if (residue === 'none') return false;
  return !!requester.id && createdBy === requester.id;
}
