import { describe, expect, it } from 'vitest';
import { unstorableText } from './validation.js';

describe('unstorableText: the JSON path of the first string no database stores faithfully', () => {
  const nest = (levels: number, leaf: unknown) => {
    let value = leaf;
    for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { n: value } : [value];
    return value;
  };

  it.each([
    ['clean values', { a: ['x', 1, null, { b: true }] }, null],
    ['a NUL in a value', { a: ['x', 'y\u0000'] }, '/a/1'],
    ['a NUL in a key (escaped as a JSON pointer)', { 'a/b~c': { 'd\u0000': 1 } }, '/a~1b~0c/d\u0000'],
    ['an unpaired surrogate', ['ok', '\uD800x'], '/1'],
    ['a surrogate pair is fine', ['😀'], null],
    ['the first offender in document order', { a: { b: 'x\u0000' }, c: '\u0000' }, '/a/b'],
  ])('%s', (_label, value, path) => {
    expect(unstorableText(value)).toBe(path);
  });

  it('looks at every depth (it stopped at 64 levels before) and keeps the prefix', () => {
    const path = unstorableText(nest(100, 'a\u0000b'), '/body');
    expect(path).toBe(`/body${'/0/n'.repeat(50)}`);
  });

  it('walks a value nested far deeper than the call stack without overflowing', () => {
    let value: unknown = ['\u0000'];
    for (let i = 0; i < 100_000; i++) value = [value];
    expect(unstorableText(value)).toBe('/0'.repeat(100_001));
    expect(unstorableText(JSON.parse(`${'['.repeat(100_000)}1${']'.repeat(100_000)}`))).toBeNull();
  });
});
