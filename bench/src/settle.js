// After a run, a server may still be working through requests the load generator abandoned when the
// round ended (queued password hashes above all). The next system's round must not pay for that, so
// the driver waits until the finished server's CPU use drops back to idle. The /proc readers here also
// give each round its CPU cost: the server process, its event-loop thread, PostgreSQL's processes.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const SAMPLE_MS = 250;
const IDLE_SHARE = 0.05; // of one core
// Under --cpu-prof every thread of the process samples itself even when idle (~6 % of a core per thread;
// Latch's serving process has a checkpointer and a signer thread): idle is judged more loosely there.
const PROFILED_IDLE_SHARE = 0.3;
const LIMIT_MS = 60_000;

/**
 * The fields of a /proc stat line after the command: the command may hold spaces and parentheses, so
 * they are counted from the last closing parenthesis ([0] is the state, [11] utime, [12] stime,
 * [13] cutime, [14] cstime, all in clock ticks). Throws where the file cannot be read.
 */
function statFields(path) {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime (clock ticks) from a /proc stat file, or undefined where it cannot be read. */
function ticksAt(path) {
  try {
    const fields = statFields(path);
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined; // not Linux, or the process or thread is gone
  }
}

/** CPU time used so far by `pid` in clock ticks (1/100 s), or undefined where /proc is not there. */
export function cpuTicks(pid) {
  return ticksAt(`/proc/${pid}/stat`);
}

/**
 * CPU time used so far by one thread `tid` of process `pid` (clock ticks), or undefined where /proc is
 * not there or the thread is gone. A Node process's event-loop (main) thread is the one whose tid is the pid.
 */
export function threadTicks(pid, tid = pid) {
  return ticksAt(`/proc/${pid}/task/${tid}/stat`);
}

// A server started as `postmaster` (an old alias of the binary) passes that name on to its children.
const POSTGRES_COMMANDS = new Set(['postgres', 'postmaster']);

/**
 * CPU time used so far by all of this machine's PostgreSQL server processes (postmaster, backends,
 * walwriter, checkpointer, …) in clock ticks, or undefined where /proc cannot be read or shows none (a
 * server in another PID namespace, e.g. a container). Each process counts its own time plus that of its
 * children that have exited (cutime + cstime): a backend or autovacuum worker that ends during a round is
 * then still counted, through the postmaster, and the sum never goes down. Processes that vanish during
 * the scan are skipped. `proc` is where /proc is (a test's stand-in).
 */
export function postgresTicks(proc = '/proc') {
  let entries;
  try {
    entries = readdirSync(proc);
  } catch {
    return undefined;
  }
  let total = 0;
  let found = 0;
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!POSTGRES_COMMANDS.has(readFileSync(`${proc}/${pid}/comm`, 'utf8').replace(/\n$/, ''))) continue;
      const fields = statFields(`${proc}/${pid}/stat`);
      const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      if (!Number.isFinite(ticks)) continue;
      total += ticks;
      found++;
    } catch {
      // exited between the directory listing and the read
    }
  }
  return found > 0 ? total : undefined;
}

/** Resolves once `pid` used under 5 % of a core over a quarter second (bounded at one minute). */
export async function waitUntilIdle(pid, { profiled = false } = {}) {
  const idleShare = profiled ? PROFILED_IDLE_SHARE : IDLE_SHARE;
  const started = Date.now();
  let last = cpuTicks(pid);
  if (last === undefined) return 0;
  while (Date.now() - started < LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    const now = cpuTicks(pid);
    if (now === undefined) return Date.now() - started;
    const share = (now - last) / TICKS_PER_SECOND / (SAMPLE_MS / 1000);
    last = now;
    if (share < idleShare) return Date.now() - started;
  }
  throw new Error(`process ${pid} stayed busy for ${LIMIT_MS / 1000} s after its round`);
}

/** Machine-wide idle and total CPU time so far (clock ticks, all cores), or undefined without /proc. */
export function machineTicks() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return { idle: cpu[3] + cpu[4], total };
  } catch {
    return undefined;
  }
}

/** The share of the machine's CPU time that went idle between two `machineTicks()` readings. */
export function idleShare(before, after) {
  if (!before || !after || after.total <= before.total) return NaN;
  return (after.idle - before.idle) / (after.total - before.total);
}
