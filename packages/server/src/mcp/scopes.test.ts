import { describe, expect, it } from 'vitest';
import { hasScope, isKnownScope, parseScopeList, scopeCovers } from './scopes.js';

describe('MCP scopes (mcp.md §3.5, M-11)', () => {
  it.each([
    ['*:*', 'table:data:delete', true],
    ['*:*', 'organization:read', true],
    ['*:read', 'table:data:read', true],
    ['*:read', 'table:create', false],
    ['table:*', 'table:update', true],
    ['table:*', 'table:data:read', false],
    ['table:data:*', 'table:data:create', true],
    ['table:data:*', 'table:read', false],
    ['project:*', 'project:delete', true],
    ['project:read', 'project:update', false],
    ['access-token:read', 'access-token:read', true],
    ['environment:read', 'environment:create', false],
  ])('%s covers %s: %s', (granted, required, expected) => {
    expect(scopeCovers(granted, required)).toBe(expected);
  });

  it.each([
    ['organization:read', true],
    ['table:data:update', true],
    ['*:*', true],
    ['*:read', true],
    ['project:*', true],
    ['table:data:*', true],
    ['root:everything', false],
    ['table', false],
    ['table:drop', false],
    [':read', false],
    ['*:', false],
    // Known resource × known action, but outside the §3.5 grid.
    ['access-token:create', false],
    ['access-token:delete', false],
    ['organization:update', false],
    ['organization:delete', false],
    ['environment:update', false],
    ['*:drop', false],
    ['data:*', false],
    ['*:update', true],
    ['organization:*', true],
    ['environment:*', true],
  ])('%s is a known scope: %s', (scope, expected) => {
    expect(isKnownScope(scope)).toBe(expected);
  });

  it('matches a list and parses space-separated scopes once each', () => {
    expect(hasScope(['organization:read', 'table:*'], 'table:read')).toBe(true);
    expect(hasScope([], 'table:read')).toBe(false);
    expect(parseScopeList('  table:read  table:read project:read ')).toEqual(['table:read', 'project:read']);
    expect(parseScopeList(undefined)).toEqual([]);
  });
});
