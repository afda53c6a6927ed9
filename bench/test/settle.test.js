import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cpuTicks, idleShare, machineTicks, postgresTicks, threadTicks } from '../src/settle.js';

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

describe('/proc CPU readers', () => {
  const linux = { skip: process.platform !== 'linux' && 'needs Linux /proc' };

  it('reads the event-loop thread of this process (tid = pid), and it grows with work on it', linux, () => {
    const before = threadTicks(process.pid, process.pid);
    assert.ok(Number.isFinite(before));
    assert.equal(threadTicks(process.pid), threadTicks(process.pid, process.pid));
    // Busy until the thread's own count moved (a tick is 10 ms; bounded at 5 s of wall time).
    const started = Date.now();
    let x = 0;
    while (threadTicks(process.pid) === before && Date.now() - started < 5000) {
      for (let i = 0; i < 1e6; i++) x += Math.sqrt(i);
    }
    assert.ok(x > 0);
    assert.ok(threadTicks(process.pid) > before);
    // The whole process has used at least what its main thread has.
    assert.ok(cpuTicks(process.pid) >= threadTicks(process.pid));
  });

  it('is undefined for a thread or process that is not there', () => {
    assert.equal(threadTicks(process.pid, 2 ** 31 - 1), undefined);
    assert.equal(threadTicks(2 ** 31 - 1), undefined);
    assert.equal(cpuTicks(2 ** 31 - 1), undefined);
  });

  it('sums utime, stime, cutime and cstime of every process named postgres, skipping vanished ones', () => {
    const proc = mkdtempSync(join(tmpdir(), 'latch-bench-proc-'));
    try {
      // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
      const stat = (pid, comm, [utime, stime, cutime, cstime]) => `${pid} (${comm}) S 1 1 1 0 -1 4194560 10 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 5 0 0\n`;
      const processFiles = (pid, comm, files) => {
        mkdirSync(join(proc, String(pid)));
        for (const [name, text] of Object.entries(files)) writeFileSync(join(proc, String(pid), name), text);
      };
      processFiles(100, 'postgres', { comm: 'postgres\n', stat: stat(100, 'postgres', [50, 20, 400, 100]) }); // postmaster
      processFiles(101, 'postgres', { comm: 'postgres\n', stat: stat(101, 'postgres', [7, 3, 0, 0]) }); // a backend
      processFiles(102, 'postmaster', { comm: 'postmaster\n', stat: stat(102, 'postmaster', [1, 1, 0, 0]) });
      processFiles(103, 'not (postgres) 1 2', { comm: 'not (postgres) 1 2\n', stat: stat(103, 'not (postgres) 1 2', [900, 900, 0, 0]) });
      processFiles(104, 'postgres', { comm: 'postgres\n' }); // exited between the listing and the read of stat
      processFiles(105, 'postgres-exporter', { comm: 'postgres_export\n', stat: stat(105, 'postgres_export', [900, 900, 0, 0]) });
      mkdirSync(join(proc, 'self'));
      assert.equal(postgresTicks(proc), 570 + 10 + 2);
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });

  it('has no PostgreSQL reading without /proc or without a PostgreSQL process in it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'latch-bench-proc-'));
    try {
      assert.equal(postgresTicks(empty), undefined);
      assert.equal(postgresTicks(join(empty, 'missing')), undefined);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('sums the PostgreSQL processes to a number, or undefined when none can be seen', () => {
    const ticks = postgresTicks();
    assert.ok(ticks === undefined || (Number.isInteger(ticks) && ticks >= 0), `got ${ticks}`);
  });
});
