import type { Caller } from '../http/auth-policy.js';

export type Group = 'admin' | 'user' | 'guest';

/**
 * Who is asking, reduced to what RLS needs (data-and-rls.md §3.2): the group, the requester id (the
 * JWT user, even for the secret key), the user's role (for `role:` atoms) and the key's scopes.
 */
export interface Requester {
  group: Group;
  id: string | null;
  role: string | null;
  scopes: string[] | null;
}

export const BUILT_IN_ROLES = new Set(['admin', 'user', 'guest']);

export function requesterOf(caller: Caller): Requester {
  const user = caller.user ?? null;
  const scopes = caller.key?.scopes ?? null;
  const id = user?.id ?? null;
  const role = user?.role ?? null;
  // §3.2: the secret key is always admin; a publishable key follows the user's current role
  // (read from the database on each request, so a demotion applies before the token expires).
  if (caller.key?.type === 'secret') return { group: 'admin', id, role, scopes };
  if (!user) return { group: 'guest', id: null, role: null, scopes };
  if (role === 'admin') return { group: 'admin', id, role, scopes };
  // D-14: a user whose role is `guest` is in group guest but keeps their id, so `self` can match.
  if (role === 'guest') return { group: 'guest', id, role, scopes };
  // D-12: any other role (built-in `user` or a custom one) is in group user.
  return { group: 'user', id, role, scopes };
}
