// `npm run bench`: starts every system under test in its own process, seeds clients, runs each case in
// alternating rounds, refuses to report a run with any failed request, and writes RESULTS.md (+ .json).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CASE_INFO, requestsFor } from './cases.js';
import { runLoad, percentiles } from './load.js';
import { machineInfo, softwareInfo } from './machine.js';
import { CASES, parseOptions, USAGE, UsageError } from './options.js';
import { createDatabase, dropDatabase } from './postgres.js';
import { startChild } from './processes.js';
import { renderReport, TARGET_LABEL } from './report.js';
import { cpuTicks, idleShare, machineTicks, postgresTicks, threadTicks, waitUntilIdle } from './settle.js';
import { failureReasons } from './stats.js';
import { betterAuthSystem } from './systems/better-auth.js';
import { floorSystem } from './systems/floor.js';
import { mapLimited } from './systems/http.js';
import { latchSystem } from './systems/latch.js';

const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
const ROOT = dirname(BENCH);
const BUILT_DIST = join(ROOT, 'packages', 'server', 'dist');
// Passes Latch's default policy and common-password list; Better Auth only needs 8+ characters.
const PASSWORD = 'Correct-Horse-7-Battery!';

class RefusedError extends Error {}

// --warmup-requests gives up here: a system at a few requests a second would otherwise warm for minutes.
const MAX_WARMUP_MS = 60_000;

let DIST = BUILT_DIST;

const log = (line) => process.stdout.write(`${line}\n`);

async function main(argv) {
  const options = parseOptions(argv, process.env);
  if (options.help) return log(USAGE);
  DIST = options.latchDist ? resolve(options.latchDist) : BUILT_DIST;
  if (options.build) {
    log('building packages/server (npm run build) …');
    const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('`npm run build` failed; fix the build or pass --no-build to bench the existing dist/');
  }
  if (!existsSync(join(DIST, 'server.js'))) throw new Error(`${relative(process.cwd(), DIST)}/server.js is missing: run \`npm run build\` at the repository root`);

  // Latch's own default argon2 parameters, read from its config loader rather than copied here.
  const { loadConfig } = await import(pathToFileURL(join(DIST, 'config', 'load-config.js')).href);
  const hash = loadConfig({}).passwordHash;
  const argon2Params = `argon2id:m=${hash.memoryCost},t=${hash.timeCost},p=${hash.parallelism}`;

  const cases = CASES.filter((c) => options.cases.includes(c));
  const targets = options.targets.filter((t) => cases.some((c) => CASE_INFO[c].targets.includes(t)));
  if (targets.length === 0) throw new UsageError('no selected target takes part in the selected cases');

  const runId = `latch_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const tmp = mkdtempSync(join(tmpdir(), 'latch-bench-'));
  const cleanups = [() => rmSync(tmp, { recursive: true, force: true })];
  const children = {};
  // Ctrl-C or a kill: stop the servers and drop the databases before leaving.
  const interrupted = () => {
    process.stderr.write('\ninterrupted: stopping servers and dropping the run\'s databases …\n');
    tearDown(children, cleanups).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const systems = {};
  // The commit the servers were built from, read now: the tree may change while a run takes half an hour.
  const info = { loadBefore: machineInfo().load, latch: options.latchDist ? `the build in ${options.latchDist}` : `commit ${latchCommit()}, built from packages/server` };
  try {
    const pgVersion = await startTargets({ options, targets, runId, tmp, argon2Params, cleanups, children, systems });
    await seedClients(options, systems);
    const rounds = {};
    for (const caseName of cases) {
      rounds[caseName] = await runCase(caseName, options, targets, children, systems);
    }
    const machine = machineInfo();
    const run = {
      date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
      argv,
      options,
      machine,
      loadBefore: info.loadBefore,
      loadAfter: machine.load,
      threads: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
      software: softwareInfo(BENCH, pgVersion),
      latchB: options.compareDist ? `the build in ${options.compareDist}` : undefined,
      latch: info.latch,
    };
    const out = resolve(options.out ?? join(BENCH, 'RESULTS.md'));
    writeFileSync(out, renderReport({ run, rounds }));
    writeFileSync(out.replace(/\.md$/, '') + '.json', JSON.stringify({ run, rounds }, null, 2) + '\n');
    log(`\nwrote ${relative(process.cwd(), out)}`);
  } finally {
    await tearDown(children, cleanups);
  }
}

let tornDown;
/** Stops every child, then undoes the set-up (databases, temporary files) in reverse order; once. */
function tearDown(children, cleanups) {
  tornDown ??= (async () => {
    for (const child of Object.values(children)) await child.stop().catch(() => {});
    for (const cleanup of [...cleanups].reverse()) await Promise.resolve().then(cleanup).catch((error) => log(`cleanup: ${error.message}`));
  })();
  return tornDown;
}

async function startTargets({ options, targets, runId, tmp, argon2Params, cleanups, children, systems }) {
  const secret = randomBytes(32).toString('hex');
  const publishableKey = `pk_${randomBytes(32).toString('hex')}`;
  const profDir = join(BENCH, 'profiles', runId);
  let pgVersion;
  const database = async (target) => {
    if (target.endsWith('-sqlite')) return `file:${join(tmp, `${target}.db`)}`;
    const name = `${runId}_${target.replace(/-/g, '_')}`;
    const created = await createDatabase(options.postgresUrl, name);
    cleanups.push(() => dropDatabase(options.postgresUrl, name));
    pgVersion = created.version;
    return created.url;
  };
  const emails = (target) => {
    let n = 0;
    return { next: () => `${runId}.${target}.${n++}@example.com` };
  };

  for (const target of targets) {
    const execArgv = options.cpuProf.includes(target) ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    if (execArgv.length) mkdirSync(profDir, { recursive: true });
    const label = TARGET_LABEL[target];
    log(`starting ${label} …`);
    if (target.startsWith('latch-')) {
      const env = cleanEnv({
        BENCH_LATCH_DIST: target.startsWith('latch-b-') ? resolve(options.compareDist) : DIST,
        LATCH_HOST: '127.0.0.1',
        LATCH_PORT: '0',
        LATCH_DATABASE_URL: await database(target),
        LATCH_DATA_DIR: join(tmp, target),
        LATCH_SECRET: secret,
        LATCH_BOOTSTRAP_PUBLISHABLE_KEY: publishableKey,
        LATCH_RATE_LIMIT: 'off',
        LATCH_LOG_LEVEL: 'warn',
      });
      children[target] = await startChild(label, 'latch.js', env, { execArgv });
      systems[target] = latchSystem({ url: children[target].url, publishableKey, password: PASSWORD, emails: emails(target) });
    } else if (target.startsWith('better-auth-')) {
      const env = cleanEnv({ BENCH_DATABASE_URL: await database(target), BENCH_SECRET: secret });
      children[target] = await startChild(label, 'better-auth.js', env, { execArgv });
      systems[target] = betterAuthSystem({ url: children[target].url, password: PASSWORD, emails: emails(target) });
    } else if (target === 'floor') {
      children[target] = await startChild(label, 'floor.js', cleanEnv({ BENCH_ARGON2: argon2Params, BENCH_PASSWORD: PASSWORD }), { execArgv });
      systems[target] = floorSystem({ url: children[target].url, password: PASSWORD, emails: emails(target) });
    } else {
      children[target] = await startChild(label, 'argon2-ceiling.js', cleanEnv({ BENCH_ARGON2: argon2Params, BENCH_PASSWORD: PASSWORD }), { execArgv });
    }
  }
  return pgVersion;
}

/**
 * The children get this process's environment minus every LATCH_*, BETTER_AUTH_* and NODE_ENV setting
 * (a cheap LATCH_PASSWORD_HASH left in a shell must not flatter the run), plus the given variables.
 */
function cleanEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(LATCH_|BETTER_AUTH_|BENCH_)/.test(key) && key !== 'NODE_ENV' && key !== 'NODE_OPTIONS') env[key] = value;
  }
  return { ...env, ...extra };
}

/** One signed-up client per connection and system (at the real password cost, before any timing). */
async function seedClients(options, systems) {
  for (const [target, system] of Object.entries(systems)) {
    const started = Date.now();
    const emails = Array.from({ length: Math.max(options.connections, options.passwordConnections) }, () => system.nextEmail());
    system.slots = await mapLimited(emails, 8, (email) => system.createClient(email));
    log(`seeded ${system.slots.length} clients on ${TARGET_LABEL[target]} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

async function runCase(caseName, options, targets, children, systems) {
  const info = CASE_INFO[caseName];
  const caseTargets = targets.filter((t) => info.targets.includes(t));
  log(`\n== ${info.title}: ${caseTargets.map((t) => TARGET_LABEL[t]).join(', ')}`);
  const byTarget = Object.fromEntries(caseTargets.map((t) => [t, []]));
  const measure = async (target, round, durationSec) => {
    const m = await measureOnce(caseName, target, durationSec, options, children, systems);
    const record = { case: caseName, target, round, ...m };
    const reasons = failureReasons([record]);
    if (reasons.length > 0) throw new RefusedError(formatRefusal(reasons));
    return record;
  };
  if (options.warmupSec > 0) {
    for (const target of caseTargets) {
      const started = Date.now();
      let served = 0;
      do served += (await measure(target, 0, options.warmupSec)).requests;
      while (served < options.warmupRequests && Date.now() - started < MAX_WARMUP_MS);
      log(`  warm-up ${TARGET_LABEL[target].padEnd(26)} ${served} requests in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  for (let round = 1; round <= options.rounds; round++) {
    // Alternate the order every round so no system always runs first (or right after another one).
    const offset = (round - 1) % caseTargets.length;
    const order = [...caseTargets.slice(offset), ...caseTargets.slice(0, offset)];
    for (const target of order) {
      const record = await measure(target, round, options.durationSec);
      const { latencies, ...kept } = record;
      byTarget[target].push(kept);
      log(
        `  round ${round}/${options.rounds} ${TARGET_LABEL[target].padEnd(26)} ${Math.round(record.rps).toString().padStart(7)} req/s` +
          `   p50 ${record.p50.toFixed(2)} ms   p99 ${record.p99.toFixed(2)} ms   CPU ${record.cpuMsPerRequest.toFixed(3)} ms/req` +
          `   loop ${record.loopMsPerRequest.toFixed(3)} ms/req` +
          (usesPostgres(target) ? `   pg ${record.postgresMsPerRequest.toFixed(3)} ms/req` : '') +
          `   machine idle ${(record.idle * 100).toFixed(0)} %`,
      );
    }
  }
  return byTarget;
}

/** The systems whose database is the PostgreSQL server (its processes' CPU is measured for them). */
const usesPostgres = (target) => target.endsWith('-postgres');

/**
 * One run of one system, with the CPU used per successful request (a noise-robust cost): by its whole
 * process, by its event-loop thread alone, and, for the PostgreSQL systems, by the PostgreSQL server's
 * processes (the other systems' databases there are idle meanwhile: systems are measured one at a time).
 */
async function measureOnce(caseName, target, durationSec, options, children, systems) {
  const pid = children[target].pid;
  const readPostgres = () => (usesPostgres(target) ? postgresTicks() : undefined);
  const pgBefore = readPostgres();
  const before = cpuTicks(pid);
  const loopBefore = threadTicks(pid, pid);
  const machineBefore = machineTicks();
  const result = await measureThroughput(caseName, target, durationSec, options, children, systems, () => machineTicks());
  const after = cpuTicks(pid);
  const loopAfter = threadTicks(pid, pid);
  const pgAfter = readPostgres();
  // Clock ticks (10 ms each) per successful request; NaN where a reading is missing.
  const perRequest = (from, to) => (from !== undefined && to !== undefined && result.requests > 0 ? ((to - from) * 10) / result.requests : NaN);
  // How much of the machine went unused during the round: a closed-loop load that leaves cores idle
  // measures its own queue, not the server.
  const idle = idleShare(machineBefore, result.machineAfter);
  delete result.machineAfter;
  return {
    ...result,
    cpuMsPerRequest: perRequest(before, after),
    loopMsPerRequest: perRequest(loopBefore, loopAfter),
    postgresMsPerRequest: perRequest(pgBefore, pgAfter),
    idle,
  };
}

async function measureThroughput(caseName, target, durationSec, options, children, systems, readMachine) {
  if (target === 'argon2') {
    const result = await children.argon2.request({
      type: 'measure',
      op: CASE_INFO[caseName].ceilingOp,
      durationMs: durationSec * 1000,
      inFlight: options.passwordConnections,
    });
    return {
      machineAfter: readMachine(),
      requests: result.completed,
      seconds: result.seconds,
      rps: result.completed / result.seconds,
      ...percentiles(result.latencies),
      failed: result.failures,
      failures: { operationFailures: result.failures },
    };
  }
  const system = systems[target];
  const result = { ...(await runHttpLoad(caseName, system, durationSec, options)), machineAfter: readMachine() };
  await waitUntilIdle(children[target].pid, { profiled: options.cpuProf.includes(target) });
  return result;
}

async function runHttpLoad(caseName, system, durationSec, options) {
  // A client whose state-changing request was cut off by the end of the last run may hold a rotated
  // refresh token; it signs in again (untimed) rather than trip reuse detection.
  for (const slot of system.slots) {
    if (slot.pending) {
      await system.signInClient(slot);
      slot.pending = false;
    }
  }
  return runLoad({
    url: system.url,
    connections: connectionsFor(caseName, options),
    durationSec,
    requests: requestsFor(caseName, system),
    slots: system.slots,
  });
}

/**
 * A password hash costs tens of milliseconds: 32 clients would queue each request for a second or more
 * behind the 4 hashing threads and leave most of a round in start-up and cut-off transients. A queue
 * twice the pool deep keeps every thread busy, for Latch, Better Auth and the ceiling alike.
 */
function connectionsFor(caseName, options) {
  return CASE_INFO[caseName].ceilingOp ? options.passwordConnections : options.connections;
}

function formatRefusal(reasons) {
  const lines = ['Not reporting this run: some requests failed.'];
  for (const r of reasons) {
    lines.push(`  ${r.where}: ${r.what}`);
    for (const s of r.samples) lines.push(`      e.g. ${s}`);
  }
  return lines.join('\n');
}

function latchCommit() {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'packages/server/src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  return dirty ? `${head} (with uncommitted changes in packages/server/src)` : head;
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error) => {
    if (error instanceof UsageError) process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
    else if (error instanceof RefusedError) process.stderr.write(`\n${error.message}\n`);
    else process.stderr.write(`bench: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
