import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idleShare, machineTicks } from '../src/settle.js';

describe('machine idle share', () => {
  it('is the idle part of the CPU time between two readings', () => {
    assert.equal(idleShare({ idle: 100, total: 1000 }, { idle: 150, total: 1200 }), 0.25);
    assert.equal(idleShare({ idle: 100, total: 1000 }, { idle: 100, total: 1400 }), 0);
  });

  it('is NaN without two usable readings', () => {
    assert.ok(Number.isNaN(idleShare(undefined, { idle: 1, total: 2 })));
    assert.ok(Number.isNaN(idleShare({ idle: 1, total: 2 }, { idle: 1, total: 2 })));
  });

  it('reads /proc/stat where there is one', { skip: process.platform !== 'linux' && 'needs Linux /proc' }, () => {
    const reading = machineTicks();
    assert.ok(reading.total > reading.idle && reading.idle > 0);
  });
});
