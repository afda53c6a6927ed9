import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CASE_INFO, mixedSequence, requestsFor } from '../src/cases.js';

describe('mixedSequence', () => {
  it('is 90 % /me, 8 % refresh, 2 % sign-in, with no two writes next to each other', () => {
    const sequence = mixedSequence({ me: 'me', refresh: 'refresh', signin: 'signin' });
    const count = (kind) => sequence.filter((r) => r === kind).length / sequence.length;
    assert.equal(count('me'), 0.9);
    assert.equal(count('refresh'), 0.08);
    assert.equal(count('signin'), 0.02);
    sequence.forEach((r, i) => {
      if (r !== 'me') assert.equal(sequence[(i + 1) % sequence.length], 'me');
    });
  });
});

describe('requestsFor', () => {
  it('refuses a case a system cannot serve instead of measuring something else', () => {
    assert.throws(() => requestsFor('refresh', { url: 'http://peer', requests: { me: {} } }), /no refresh request/);
  });
  it('gives Better Auth no refresh or mixed case, and the floor only /me and sign-in', () => {
    assert.equal(CASE_INFO.refresh.targets.some((t) => t.startsWith('better-auth')), false);
    assert.equal(CASE_INFO.mixed.targets.some((t) => t.startsWith('better-auth')), false);
    for (const [name, info] of Object.entries(CASE_INFO)) assert.equal(info.targets.includes('floor'), name === 'me' || name === 'signin');
  });
});
