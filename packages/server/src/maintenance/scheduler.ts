import type { AppContext } from '../context.js';

export type MaintenanceJob = (ctx: AppContext) => Promise<unknown>;

/**
 * Runs housekeeping jobs every `intervalMs` on an unref'd timer (it never keeps the process alive).
 * Jobs are idempotent deletes/updates, so several instances running them at once is harmless.
 */
export function startMaintenance(ctx: AppContext, jobs: Record<string, MaintenanceJob>, intervalMs = 60_000): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    for (const [name, job] of Object.entries(jobs)) {
      try {
        await job(ctx);
      } catch (error) {
        ctx.log.error({ err: error, job: name }, 'maintenance job failed');
      }
    }
    running = false;
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
