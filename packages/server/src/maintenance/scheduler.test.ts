import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppContext } from '../context.js';
import { MAINTENANCE_JOBS } from './jobs.js';
import { startMaintenance } from './scheduler.js';
import { runUserMaintenance } from '../users/purge.js';

function fakeContext() {
  const errors: Array<{ job: unknown; message: string }> = [];
  const infos: Array<Record<string, unknown>> = [];
  const log = {
    error: (fields: { job: unknown; err: Error }) => errors.push({ job: fields.job, message: fields.err.message }),
    info: (fields: Record<string, unknown>) => infos.push(fields),
  };
  return { ctx: { log } as unknown as AppContext, errors, infos };
}

describe('maintenance scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs every job once per interval, and a failing job neither stops the others nor the next pass', async () => {
    const { ctx, errors } = fakeContext();
    const ran: string[] = [];
    const stop = startMaintenance(ctx, {
      first: async () => void ran.push('first'),
      broken: async () => {
        ran.push('broken');
        throw new Error('disk full');
      },
      last: async () => void ran.push('last'),
    }, 1_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(ran).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ran).toEqual(['first', 'broken', 'last']);
    expect(errors).toEqual([{ job: 'broken', message: 'disk full' }]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ran).toHaveLength(6);
    stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(ran).toHaveLength(6);
  });

  it('logs what a job removed, and stays quiet when it removed nothing', async () => {
    const { ctx, infos } = fakeContext();
    const stop = startMaintenance(ctx, {
      busy: async () => ({ deleted: 3, wiped: 0 }),
      idle: async () => ({ deleted: 0 }),
      silent: async () => undefined,
    }, 1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(infos).toEqual([{ job: 'busy', deleted: 3, wiped: 0 }]);
    stop();
  });

  it('never starts a pass while the previous one is still running', async () => {
    const { ctx } = fakeContext();
    let started = 0;
    let finish!: () => void;
    const stop = startMaintenance(ctx, {
      slow: () => {
        started++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
    }, 1_000);
    await vi.advanceTimersByTimeAsync(3_500);
    expect(started).toBe(1);
    finish();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(started).toBe(2);
    stop();
  });

  it('the server’s pass includes the user purge and abandoned avatar uploads', () => {
    expect(MAINTENANCE_JOBS.users).toBe(runUserMaintenance);
  });
});
