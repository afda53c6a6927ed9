import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureReasons, median, medianRound, pairedRatio, targetChecks } from '../src/stats.js';

const rounds = (...rps) => rps.map((value, i) => ({ rps: value, p50: i, p99: i * 10 }));

describe('medianRound', () => {
  it('returns the middle round of an odd count, whole (its own latencies)', () => {
    assert.deepEqual(medianRound(rounds(500, 100, 300)), { rps: 300, p50: 2, p99: 20 });
  });
  it('returns the lower middle round of an even count', () => {
    assert.equal(medianRound(rounds(4, 1, 3, 2)).rps, 2);
  });
  it('refuses an empty list', () => {
    assert.throws(() => medianRound([]));
  });
});

describe('pairedRatio', () => {
  it('is the median of the per-round ratios, not the ratio of medians', () => {
    // Round 2 was slow for both systems alike: pairing keeps that out of the ratio.
    const a = rounds(100, 50, 100);
    const b = rounds(200, 100, 400);
    assert.deepEqual(pairedRatio(a, b), { ratio: 0.5, min: 0.25, max: 0.5 });
    assert.equal(median([1, 3, 2, 4]), 2.5);
  });
});

describe('failureReasons', () => {
  it('names every failed round and why', () => {
    const reasons = failureReasons([
      { case: 'me', target: 'latch-sqlite', round: 1, failed: 0, failures: {} },
      {
        case: 'refresh',
        target: 'latch-postgres',
        round: 0,
        failed: 4,
        failures: { errors: 1, timeouts: 1, statuses: { 401: 2 }, badBodies: 1, samples: ['refresh → 401: {"error":{}}'] },
      },
      { case: 'signin', target: 'argon2', round: 3, failed: 2, failures: { operationFailures: 2 } },
    ]);
    assert.deepEqual(reasons.map((r) => r.where), ['refresh / latch-postgres / warm-up', 'signin / argon2 / round 3']);
    assert.equal(reasons[0].what, '1 connection errors (1 timeouts), 2 × HTTP 401, 1 unexpected 2xx bodies');
    assert.deepEqual(reasons[0].samples, ['refresh → 401: {"error":{}}']);
    assert.equal(reasons[1].what, '2 failed argon2 operations');
  });
});

describe('targetChecks', () => {
  it('checks the issue targets against paired ratios and the refresh rate', () => {
    const checks = targetChecks({
      me: { 'latch-sqlite': rounds(600, 500), floor: rounds(1000, 1000), 'better-auth-sqlite': rounds(150, 150) },
      signin: { 'latch-sqlite': rounds(95, 80), argon2: rounds(100, 100) },
      refresh: { 'latch-sqlite': rounds(2999, 3100, 2000) },
    });
    const byLabel = Object.fromEntries(checks.map((c) => [c.label, c]));
    assert.equal(byLabel['/me on sqlite vs bare-Fastify floor'].pass, true); // 55 %
    assert.equal(byLabel['/me on sqlite vs Better Auth session read (sqlite)'].pass, true); // median(4, 3.33) = 3.67×
    assert.equal(byLabel['sign-in on sqlite vs argon2id-only ceiling'].pass, false); // median(.95, .8) = 87.5 %
    assert.equal(byLabel['refresh on sqlite'].pass, false); // median round 2,999
    assert.equal(byLabel['refresh on sqlite'].measured, '2,999 req/s');
    assert.equal(checks.length, 4); // nothing is claimed for PostgreSQL, which was not run
    assert.equal(byLabel['sign-in on sqlite vs argon2id-only ceiling'].verdict, 'missed');
    // Just under a threshold never prints as the threshold itself.
    const under = targetChecks({ me: { 'latch-sqlite': rounds(4996), floor: rounds(10000) } })[0];
    assert.equal(under.pass, false);
    assert.match(under.measured, /^49\.9 %/);
  });

  it('calls a ratio unsure, never met, when the reference itself moved by more than 10 % between rounds', () => {
    // The ceiling fell from 129 to 102 while the ratio's median said 100 %: the machine, not the system.
    const noisy = targetChecks({ signin: { 'latch-sqlite': rounds(101, 105, 103), argon2: rounds(129, 103, 102) } })[0];
    assert.equal(noisy.verdict, 'unsure');
    assert.equal(noisy.pass, false);
    // Far from the threshold, the same noise changes nothing: 5.5× the peer is above 3× either way.
    const far = targetChecks({ me: { 'latch-sqlite': rounds(600, 650), 'better-auth-sqlite': rounds(100, 130) } })[0];
    assert.equal(far.verdict, 'met');
    // Every round below the threshold: a miss, however much the ceiling moved.
    const below = targetChecks({ signin: { 'latch-sqlite': rounds(96, 105, 104), argon2: rounds(134, 122, 136) } })[0];
    assert.equal(below.verdict, 'missed');
    const steady = targetChecks({ signin: { 'latch-sqlite': rounds(101, 105, 103), argon2: rounds(110, 103, 102) } })[0];
    assert.equal(steady.verdict, 'met');
    assert.equal(steady.pass, true);
  });
});
