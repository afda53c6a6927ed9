// After a run, a server may still be working through requests the load generator abandoned when the
// round ended (queued password hashes above all). The next system's round must not pay for that, so
// the driver waits until the finished server's CPU use drops back to idle.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const SAMPLE_MS = 250;
const IDLE_SHARE = 0.05; // of one core
// Under --cpu-prof every thread of the process samples itself even when idle (~6 % of a core per thread;
// Latch's serving process has a checkpointer and a signer thread): idle is judged more loosely there.
const PROFILED_IDLE_SHARE = 0.3;
const LIMIT_MS = 60_000;

/** CPU time used so far by `pid` in clock ticks (1/100 s), or undefined where /proc is not there. */
export function cpuTicks(pid) {
  try {
    // /proc/PID/stat: the command may hold spaces, so count fields from the closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined; // not Linux, or the process is gone: nothing to wait for
  }
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
