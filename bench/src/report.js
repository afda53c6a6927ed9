// RESULTS.md: the machine, the settings, the targets, then one table per case.
import { CASE_INFO } from './cases.js';
import { median, medianRound, pairedRatio, targetChecks } from './stats.js';

export const TARGET_LABEL = {
  'latch-sqlite': 'Latch (SQLite)',
  'latch-postgres': 'Latch (PostgreSQL)',
  'latch-b-sqlite': 'Latch B (SQLite)',
  'latch-b-postgres': 'Latch B (PostgreSQL)',
  'better-auth-sqlite': 'Better Auth (SQLite)',
  'better-auth-postgres': 'Better Auth (PostgreSQL)',
  floor: 'bare Fastify floor',
  argon2: 'argon2id alone',
};

const int = (x) => Math.round(x).toLocaleString('en-US');
const ms = (x) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : '–');

/**
 * Median over the rounds of one CPU time per successful request (`cpuMsPerRequest`, `loopMsPerRequest`
 * or `postgresMsPerRequest`), '–' where no round has it (not measured, or a run from before the field).
 */
function cpu(list, field = 'cpuMsPerRequest') {
  const values = list.map((r) => r[field]).filter(Number.isFinite);
  return values.length ? median(values).toFixed(3) : '–';
}

/** The reference each case's ratio column compares against. */
function referenceFor(caseName, target) {
  if (target.startsWith('latch-b-')) return target.replace('latch-b-', 'latch-');
  if (caseName === 'me' && target.startsWith('latch-')) return 'floor';
  if ((caseName === 'signin' || caseName === 'signup') && target !== 'argon2') return 'argon2';
  return undefined;
}

function verdictText(check) {
  if (check.verdict === 'unsure') return `unsure: the reference moved ${Math.round(check.referenceSpread * 100)} % between rounds (machine too noisy to judge)`;
  return check.pass ? 'met' : '**missed**';
}

export function renderReport({ run, rounds }) {
  const lines = [];
  lines.push('# Latch benchmark results', '');
  const command = run.argv.length ? `npm run bench -- ${run.argv.join(' ')}` : 'npm run bench';
  lines.push(`Run on ${run.date} with \`${command}\`.`, '');
  lines.push('| | |', '| --- | --- |');
  lines.push(`| machine | ${run.machine.cpu}, ${run.machine.cores} cores, ${run.machine.memory}, ${run.machine.os} |`);
  lines.push(`| load average (1 min) | ${run.loadBefore} at start, ${run.loadAfter} at the end (other work was running on this shared machine) |`);
  lines.push(`| software | ${run.software} |`);
  lines.push(`| Latch | ${run.latch} |`);
  if (run.latchB) lines.push(`| Latch B | ${run.latchB} |`);
  lines.push(
    `| method | ${run.options.connections} keep-alive connections over loopback (${run.options.passwordConnections} for sign-up and sign-in, and as many argon2id operations in flight for the ceiling; autocannon, no pipelining); ` +
      `${run.options.rounds} alternating rounds of ${run.options.durationSec} s per case after a warm-up of ${run.options.warmupSec} s at a time until ${run.options.warmupRequests ?? 0} requests were answered (at most 60 s); ` +
      'the median round is shown; ratios are the median of per-round ratios (A/B in the same round) |',
  );
  lines.push(`| password hashing | Latch and the ceiling: argon2id m=19456, t=2, p=1 (Latch's default) on the libuv pool (${run.threads} threads); Better Auth: its default (scrypt N=16384, r=16, p=1) |`);
  lines.push('');

  const checks = targetChecks(rounds);
  if (checks.length > 0) {
    lines.push('## Targets', '', '| check | measured | target | |', '| --- | --- | --- | --- |');
    for (const c of checks) lines.push(`| ${c.label} | ${c.measured} | ${c.target} | ${verdictText(c)} |`);
    lines.push('');
  }

  lines.push('## Results', '');
  lines.push('| case | system | req/s | p50 ms | p99 ms | CPU ms/req | event loop ms/req | PostgreSQL ms/req | ratio | req/s in each round |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |');
  for (const [caseName, byTarget] of Object.entries(rounds)) {
    for (const [target, list] of Object.entries(byTarget)) {
      const m = medianRound(list);
      const ref = referenceFor(caseName, target);
      const paired = ref && byTarget[ref] ? pairedRatio(list, byTarget[ref]) : undefined;
      const ratio = paired ? `${(Math.floor(paired.ratio * 1000) / 10).toFixed(1)} % of ${TARGET_LABEL[ref]}` : '';
      const name = target === 'argon2' ? `argon2id ${CASE_INFO[caseName].ceilingOp} alone` : TARGET_LABEL[target];
      lines.push(`| ${CASE_INFO[caseName].title} | ${name} | ${int(m.rps)} | ${ms(m.p50)} | ${ms(m.p99)} | ${cpu(list)} | ${cpu(list, 'loopMsPerRequest')} | ${cpu(list, 'postgresMsPerRequest')} | ${ratio} | ${list.map((r) => int(r.rps)).join(', ')} |`);
    }
  }
  lines.push('');
  lines.push('Every request of every round (warm-up included) answered 2xx with the expected body; a run with any failure is not reported.');
  lines.push(
    'CPU ms/req is the user + system CPU time of the server\'s whole Node process (all its threads) per successful request: it moves much less than req/s when other work shares the machine. ' +
      'Event loop ms/req is the part of it its main thread used: HTTP, routing, queries, token signing (Latch moves signing to a thread of its own only while the loop is saturated), everything but the libuv pool\'s password hashes, worker threads and V8\'s helper threads (garbage collection, compilation). ' +
      'PostgreSQL ms/req, for the PostgreSQL systems, is the CPU time of all the PostgreSQL server\'s processes during the round per successful request, outside CPU ms/req (systems are measured one at a time, so the other databases there are idle).',
  );
  lines.push('The load generator runs on the same 2 cores as the server under test, so absolute numbers are a lower bound; the ratios are the comparable part.');
  lines.push('');
  return lines.join('\n');
}
