import { describe, expect, it } from 'vitest';
import { applicableRowFilters, columnReadResidue, columnWriteResidue, decideOperation, PolicyError, validatePolicy, type Operation, type TablePolicy } from './policy.js';
import { requesterOf, type Requester } from './requester.js';
import { scopeAllows } from './scopes.js';

const user: Requester = { group: 'user', id: 'u1', role: 'user', scopes: null };
const guest: Requester = { group: 'guest', id: null, role: null, scopes: null };
const roleGuest: Requester = { group: 'guest', id: 'g1', role: 'guest', scopes: null };
const admin: Requester = { group: 'admin', id: null, role: null, scopes: null };
const policy = (p: Partial<TablePolicy>): TablePolicy => ({ permissions: null, expressionPermissions: null, columnPermissions: null, rowFilters: null, ...p });

describe('operation decisions (§4.2, §4.4)', () => {
  it.each([
    // defaults (no permissions at all, or {})
    [{}, user, 'create', 'all'],
    [{}, user, 'update', 'none'],
    [{}, user, 'delete', 'none'],
    [{}, user, 'list', 'all'],
    [{}, guest, 'read', 'all'],
    [{}, guest, 'create', 'none'],
    [{ permissions: {} }, guest, 'list', 'all'],
    [{}, roleGuest, 'create', 'none'],
    [{}, admin, 'delete', 'all'],
    // configured: missing group/flag = false, list → read
    [{ permissions: { user: { create: true }, guest: {} } }, guest, 'read', 'none'],
    [{ permissions: { user: { read: true } } }, user, 'list', 'all'],
    [{ permissions: { user: { read: true, list: false } } }, user, 'list', 'none'],
    [{ permissions: { user: { read: false }, self: { read: true } } }, user, 'list', 'own'],
    [{ permissions: { user: { read: false }, self: { read: true } } }, guest, 'list', 'none'],
    [{ permissions: { user: { read: false }, self: { read: true } } }, roleGuest, 'read', 'own'],
    [{ permissions: { self: { create: true } } }, user, 'create', 'none'], // no self on create
    [{ permissions: { user: { update: true }, self: { update: true } } }, user, 'update', 'all'],
    [{ permissions: { admin: { read: false } } }, admin, 'read', 'all'], // admin is never restricted
    // expressions win per operation, list falls back to read, else boolean mode
    [{ permissions: { user: { delete: true } }, expressionPermissions: { delete: 'self' } }, user, 'delete', 'own'],
    [{ permissions: { user: { delete: true } }, expressionPermissions: { read: 'admin' } }, user, 'delete', 'all'],
    [{ expressionPermissions: { read: 'self' } }, user, 'list', 'own'],
    [{ expressionPermissions: { read: 'self', list: 'public' } }, guest, 'list', 'all'],
    [{ expressionPermissions: { create: 'self' } }, user, 'create', 'all'],
    [{ expressionPermissions: { create: 'self' } }, guest, 'create', 'none'],
    [{ expressionPermissions: { read: 'broken &' } }, user, 'read', 'none'],
  ] as Array<[Partial<TablePolicy>, Requester, Operation, string]>)('%j, %j, %s → %s', (p, requester, operation, expected) => {
    expect(decideOperation(policy(p), requester, operation)).toBe(expected);
  });
});

describe('column permissions (§4.5)', () => {
  const p = policy({ columnPermissions: { email: { read: 'admin' }, bio: { write: 'self' }, note: { read: 'self', write: 'user' }, createdBy: { read: 'admin' } } });
  it.each([
    ['email', user, 'none'],
    ['email', admin, 'all'],
    ['bio', user, 'all'], // no read entry: inherits the table decision
    ['note', user, 'own'],
    ['note', guest, 'none'],
    ['createdBy', guest, 'all'], // system fields are always readable
  ] as const)('read %s for %j → %s', (field, requester, expected) => {
    expect(columnReadResidue(p, requester, field)).toBe(expected);
  });
  it.each([
    ['bio', user, 'create', 'all'], // D-8: self is "has an id" on create
    ['bio', guest, 'create', 'none'],
    ['bio', user, 'update', 'own'],
    ['note', guest, 'update', 'none'],
    ['title', guest, 'update', 'all'],
  ] as const)('write %s for %j on %s → %s', (field, requester, operation, expected) => {
    expect(columnWriteResidue(p, requester, field, operation)).toBe(expected);
  });
});

describe('row filters (§4.6)', () => {
  const p = policy({ rowFilters: [{ expression: 'guest', filter: { visibility: 'public' } }, { expression: 'user', filter: { status: 'published' } }, { expression: 'self', filter: { createdBy: '$userId' } }] });
  it('collects the entries whose expression holds; self = has an id', () => {
    expect(applicableRowFilters(p, user)).toHaveLength(3);
    expect(applicableRowFilters(p, guest)).toEqual([{ visibility: 'public' }]);
    expect(applicableRowFilters(p, roleGuest)).toEqual([{ visibility: 'public' }, { createdBy: '$userId' }]);
    expect(applicableRowFilters(p, admin)).toBeUndefined();
    expect(applicableRowFilters(policy({}), user)).toBeUndefined();
    expect(applicableRowFilters(policy({ rowFilters: [{ expression: 'admin', filter: {} }] }), user)).toEqual([]);
  });
});

describe('API-key scopes (§2.5)', () => {
  it.each([
    [null, 'posts', 'delete', true],
    [['posts:read'], 'posts', 'read', true],
    [['posts:read'], 'posts', 'list', true], // read ⊇ list (D-20)
    [['posts:list'], 'posts', 'read', false],
    [['posts:read'], 'posts', 'delete', false],
    [['posts:*'], 'posts', 'delete', true],
    [['*:read'], 'comments', 'list', true],
    [['*:*'], 'x', 'create', true],
    [['Posts:read'], 'posts', 'read', false], // names are case-sensitive
    [['posts:read:extra'], 'posts', 'read', false],
    [['posts'], 'posts', 'read', false],
    [['comments:*', 'posts:create'], 'posts', 'create', true],
  ] as const)('%j allows %s:%s → %s', (scopes, table, operation, expected) => {
    expect(scopeAllows(scopes as string[] | null, table, operation)).toBe(expected);
  });
});

describe('requester resolution (§3.2)', () => {
  const u = (role: string) => ({ id: 'id1', role }) as never;
  it.each([
    [{ key: { id: 'k', type: 'secret', scopes: null } }, 'admin', null],
    [{ key: { id: 'k', type: 'secret', scopes: null }, user: u('user') }, 'admin', 'id1'],
    [{ key: { id: 'k', type: 'publishable', scopes: null }, user: u('admin') }, 'admin', 'id1'],
    [{ key: { id: 'k', type: 'publishable', scopes: null }, user: u('user') }, 'user', 'id1'],
    [{ key: { id: 'k', type: 'publishable', scopes: null }, user: u('moderator') }, 'user', 'id1'],
    [{ key: { id: 'k', type: 'publishable', scopes: null }, user: u('guest') }, 'guest', 'id1'],
    [{ key: { id: 'k', type: 'publishable', scopes: null } }, 'guest', null],
  ] as const)('%j → %s with id %s', (caller, group, id) => {
    const requester = requesterOf(caller as never);
    expect([requester.group, requester.id]).toEqual([group, id]);
  });
});

describe('policy validation when saved (§4.4: refused at save time)', () => {
  it.each([
    [{ permissions: { moderator: { read: true } } }, /unknown group/],
    [{ permissions: { user: { read: 'yes' } } }, /true or false/],
    [{ permissions: { user: { publish: true } } }, /unknown operation/],
    [{ permissions: [] }, /object/],
    [{ expressionPermissions: { read: 'user |' } }, /expressionPermissions.read/],
    [{ expressionPermissions: { read: 42 } }, /expression string/],
    [{ expressionPermissions: { write: 'user' } }, /unknown operation/],
    [{ columnPermissions: { email: { read: 'nobody' } } }, /unknown atom/],
    [{ columnPermissions: { email: { hide: 'admin' } } }, /read or write/],
    [{ rowFilters: { expression: 'user' } }, /array/],
    [{ rowFilters: [{ expression: 'user' }] }, /filter must be an object/],
    [{ rowFilters: [{ expression: 'users', filter: {} }] }, /unknown atom/],
  ])('%j is refused', (input, message) => {
    expect(() => validatePolicy(input as never)).toThrow(PolicyError);
    expect(() => validatePolicy(input as never)).toThrow(message);
  });

  it('keeps valid parts and replaces each part whole', () => {
    expect(validatePolicy({ permissions: { guest: {} }, expressionPermissions: null })).toEqual({ permissions: { guest: {} }, expressionPermissions: null });
  });
});
