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
        const result = await job(ctx);
        // Jobs answer what they removed ({ deleted: 3 }, …); a pass that changed something is logged.
        if (changedAnything(result)) ctx.log.info({ job: name, ...(result as object) }, 'maintenance');
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

function changedAnything(result: unknown): boolean {
  return typeof result === 'object' && result !== null && Object.values(result).some((value) => typeof value === 'number' && value > 0);
}
