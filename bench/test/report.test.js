import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderReport } from '../src/report.js';

const round = (rps, p50 = 1.234, p99 = 12.5) => ({ rps, p50, p99, cpuMsPerRequest: 10_000 / rps });
const run = {
  date: '2026-11-29 09:00 UTC',
  argv: ['--rounds', '2'],
  options: { connections: 32, passwordConnections: 8, rounds: 2, durationSec: 10, warmupSec: 3, warmupRequests: 3000 },
  machine: { cpu: 'AMD EPYC', cores: 2, memory: '24 GiB RAM', os: 'Linux 6.1' },
  loadBefore: '0.50',
  loadAfter: '2.10',
  threads: 4,
  software: 'Node 20.20.2',
  latch: 'commit abc1234, built from packages/server',
};

describe('renderReport', () => {
  const text = renderReport({
    run,
    rounds: {
      signin: { 'latch-sqlite': [round(90), round(95)], argon2: [round(100), round(100)] },
      me: { 'latch-sqlite': [round(4000), round(5000)], floor: [round(10000), round(9500)] },
    },
  });

  it('names the plain command when no option was given', () => {
    assert.match(renderReport({ run: { ...run, argv: [] }, rounds: {} }), /with `npm run bench`\./);
  });

  it('states the machine, the command and the method', () => {
    assert.match(text, /Run on 2026-11-29 09:00 UTC with `npm run bench -- --rounds 2`/);
    assert.match(text, /AMD EPYC, 2 cores, 24 GiB RAM/);
    assert.match(text, /32 keep-alive connections/);
  });

  it('lists each target as met or missed', () => {
    assert.match(text, /\| sign-in on sqlite vs argon2id-only ceiling \| 92\.5 % \(rounds 90\.0 % – 95\.0 %\) \| ≥ 90 % \| met \|/);
    assert.match(text, /\| \/me on sqlite vs bare-Fastify floor \| 46\.3 % \(rounds 40\.0 % – 52\.6 %\) \| ≥ 50 % \| \*\*missed\*\* \|/);
  });

  it('says unsure, with how far the reference moved, when the machine did not hold still', () => {
    const noisy = renderReport({ run, rounds: { signin: { 'latch-sqlite': [round(101), round(105)], argon2: [round(129), round(102)] } } });
    assert.match(noisy, /\| ≥ 90 % \| unsure: the reference moved 26 % between rounds \(machine too noisy to judge\) \|/);
  });

  it('shows the median round with its latencies, the ratio and every round', () => {
    // These rounds have no event-loop or PostgreSQL figure, as in a RESULTS.json from before those columns.
    assert.match(text, /\| sign-in \| Latch \(SQLite\) \| 90 \| 1\.23 \| 12\.5 \| 108\.187 \| – \| – \| 92\.5 % of argon2id alone \| 90, 95 \|/);
    assert.match(text, /\| sign-in \| argon2id verify alone \| 100 \|/);
    assert.match(text, /\| \/me \(session read\) \| bare Fastify floor \| 9,500 \|/);
  });

  it('has the event-loop and PostgreSQL columns after CPU ms/req, and says what each measures', () => {
    assert.match(text, /\| CPU ms\/req \| event loop ms\/req \| PostgreSQL ms\/req \| ratio \|/);
    assert.match(text, /whole Node process \(all its threads\)/);
    assert.match(text, /Event loop ms\/req is the part of it its main thread used/);
    assert.match(text, /PostgreSQL ms\/req, for the PostgreSQL systems, is the CPU time of all the PostgreSQL server's processes/);
  });

  it('shows the median over the rounds of the event-loop and PostgreSQL CPU per request', () => {
    const parts = (rps, loop, pg) => ({ ...round(rps), loopMsPerRequest: loop, postgresMsPerRequest: pg });
    const rendered = renderReport({
      run,
      rounds: {
        signin: {
          // NaN is how a run records what it could not measure; JSON turns it into null.
          'latch-postgres': [parts(100, 1.0, 0.25), parts(110, 1.2, NaN), parts(105, 0.9, 0.35)],
          floor: [parts(120, 0.35, null), parts(125, 0.36, null), parts(122, 0.34, null)],
        },
      },
    });
    assert.match(rendered, /\| sign-in \| Latch \(PostgreSQL\) \| 105 \| 1\.23 \| 12\.5 \| 95\.238 \| 1\.000 \| 0\.300 \| {2}\| 100, 110, 105 \|/);
    assert.match(rendered, /\| sign-in \| bare Fastify floor \| 122 \| 1\.23 \| 12\.5 \| 81\.967 \| 0\.350 \| – \| {2}\| 120, 125, 122 \|/);
  });
});
