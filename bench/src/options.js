// Command-line options of `npm run bench`; pure, so the test can check every refusal.
import { parseArgs } from 'node:util';

export const CASES = ['signup', 'signin', 'me', 'refresh', 'mixed'];
export const TARGETS = ['latch-sqlite', 'latch-postgres', 'better-auth-sqlite', 'better-auth-postgres', 'floor', 'argon2'];
/** Only with --compare-dist: that build, beside the main one, in the same rounds. */
export const COMPARE_TARGETS = ['latch-b-sqlite', 'latch-b-postgres'];

export const USAGE = `usage: npm run bench -- [options]

  --duration S       seconds per measured round (default 10)
  --rounds N         alternating rounds per case; the median round is reported (default 5)
  --warmup S         unrecorded seconds per system before a case's first round (default 3)
  --warmup-requests N
                     warm-up goes on, S seconds at a time, until the system has answered N requests in
                     it (default 3000; at most 60 s): V8 optimises a function after it has run many
                     times, so a case served at ~100 req/s needs half a minute to reach steady state
  --connections N    concurrent keep-alive clients (default 32)
  --password-connections N
                     clients for sign-up and sign-in, and operations in flight for the argon2id
                     ceiling (default 8: twice the libuv pool, enough to keep every hashing thread busy)
  --cases LIST       comma-separated: ${CASES.join(', ')} (default: all)
  --targets LIST     comma-separated: ${TARGETS.join(', ')} (default: all),
                     and ${COMPARE_TARGETS.join(', ')} with --compare-dist (default then: all)
  --out FILE         where the markdown table goes (default bench/RESULTS.md; FILE.json gets the raw rounds)
  --postgres-url URL server to create the per-run databases on
                     (default $BENCH_POSTGRES_URL, $LATCH_TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --cpu-prof LIST    targets to run under node --cpu-prof (profiles in bench/profiles/)
  --no-build         do not run \`npm run build\` for packages/server first
  --latch-dist DIR   bench another build of Latch (a patched copy of packages/server/dist; implies --no-build)
  --compare-dist DIR also bench this build as latch-b-sqlite / latch-b-postgres, alternating with the main
                     one in the same rounds (A/B of a change); its ratio column compares it with the main build
  --help
`;

export class UsageError extends Error {}

function list(value, allowed, name) {
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`--${name} needs at least one of: ${allowed.join(', ')}`);
  for (const item of items) {
    if (!allowed.includes(item)) throw new UsageError(`--${name}: unknown "${item}" (known: ${allowed.join(', ')})`);
  }
  return items;
}

function number(value, name, min, max) {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`--${name} must be a number`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}`);
  return n;
}

export function parseOptions(argv, env = {}) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string', default: '10' },
        rounds: { type: 'string', default: '5' },
        warmup: { type: 'string', default: '3' },
        'warmup-requests': { type: 'string', default: '3000' },
        connections: { type: 'string', default: '32' },
        'password-connections': { type: 'string', default: '8' },
        cases: { type: 'string', default: CASES.join(',') },
        targets: { type: 'string' },
        out: { type: 'string' },
        'postgres-url': { type: 'string' },
        'cpu-prof': { type: 'string', default: '' },
        'no-build': { type: 'boolean', default: false },
        'latch-dist': { type: 'string' },
        'compare-dist': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const v = parsed.values;
  const allowed = v['compare-dist'] ? [...TARGETS, ...COMPARE_TARGETS] : TARGETS;
  // Bounded loops only (the workplace's load-test rule): at most 10 minutes per round, 20 rounds.
  const options = {
    help: v.help,
    durationSec: number(v.duration, 'duration', 1, 600),
    rounds: Math.trunc(number(v.rounds, 'rounds', 1, 20)),
    warmupSec: number(v.warmup, 'warmup', 0, 120),
    warmupRequests: Math.trunc(number(v['warmup-requests'], 'warmup-requests', 0, 1_000_000)),
    connections: Math.trunc(number(v.connections, 'connections', 1, 1000)),
    passwordConnections: Math.trunc(number(v['password-connections'], 'password-connections', 1, 1000)),
    cases: list(v.cases, CASES, 'cases'),
    targets: list(v.targets ?? allowed.join(','), allowed, 'targets'),
    out: v.out,
    postgresUrl: v['postgres-url'] ?? env.BENCH_POSTGRES_URL ?? env.LATCH_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    cpuProf: v['cpu-prof'] ? list(v['cpu-prof'], allowed, 'cpu-prof') : [],
    build: !v['no-build'] && !v['latch-dist'],
    latchDist: v['latch-dist'],
    compareDist: v['compare-dist'],
  };
  const host = new URL(options.postgresUrl).hostname;
  // Loopback only: a load test never leaves this machine.
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new UsageError(`--postgres-url must point at this machine (127.0.0.1, localhost or ::1), not ${host}`);
  }
  return options;
}
