import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CASES, parseOptions, TARGETS, UsageError } from '../src/options.js';

describe('parseOptions', () => {
  it('defaults to every case and target, 5 rounds of 10 s, the local PostgreSQL', () => {
    const o = parseOptions([], {});
    assert.deepEqual(o.cases, CASES);
    assert.deepEqual(o.targets, TARGETS);
    assert.equal(o.rounds, 5);
    assert.equal(o.durationSec, 10);
    assert.equal(o.connections, 32);
    assert.equal(o.passwordConnections, 8);
    assert.equal(o.warmupRequests, 3000);
    assert.equal(parseOptions(['--warmup-requests', '0'], {}).warmupRequests, 0);
    assert.throws(() => parseOptions(['--warmup-requests', 'many'], {}), /--warmup-requests must be a number/);
    assert.equal(o.postgresUrl, 'postgres://postgres@127.0.0.1:5432/postgres');
    assert.equal(o.build, true);
  });

  it('takes lists, numbers and the test PostgreSQL from the environment', () => {
    const o = parseOptions(['--cases', 'me,refresh', '--targets', 'latch-sqlite', '--duration', '2.5', '--no-build'], {
      LATCH_TEST_POSTGRES_URL: 'postgres://postgres@localhost:5432/postgres',
    });
    assert.deepEqual(o.cases, ['me', 'refresh']);
    assert.deepEqual(o.targets, ['latch-sqlite']);
    assert.equal(o.durationSec, 2.5);
    assert.equal(o.build, false);
    assert.equal(o.postgresUrl, 'postgres://postgres@localhost:5432/postgres');
  });

  it('offers the second build as latch-b-* targets only with --compare-dist', () => {
    assert.throws(() => parseOptions(['--targets', 'latch-b-sqlite'], {}), /unknown "latch-b-sqlite"/);
    const o = parseOptions(['--compare-dist', '/tmp/patched/dist'], {});
    assert.deepEqual(o.targets.slice(-2), ['latch-b-sqlite', 'latch-b-postgres']);
    assert.equal(o.compareDist, '/tmp/patched/dist');
  });

  const refused = [
    [['--cases', 'login'], /unknown "login"/],
    [['--targets', ''], /at least one/],
    [['--duration', '0'], /between 1 and 600/],
    [['--duration', '601'], /between 1 and 600/],
    [['--rounds', '21'], /between 1 and 20/],
    [['--connections', 'many'], /must be a number/],
    [['--cpu-prof', 'nginx'], /unknown "nginx"/],
    [['--postgres-url', 'postgres://postgres@10.0.0.5/postgres'], /must point at this machine/],
    [['--bogus'], /Unknown option/],
  ];
  for (const [argv, message] of refused) {
    it(`refuses ${argv.join(' ')}`, () => {
      assert.throws(() => parseOptions(argv, {}), (error) => error instanceof UsageError && message.test(error.message));
    });
  }
});
