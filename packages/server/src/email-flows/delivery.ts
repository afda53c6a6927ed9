import type { AppContext } from '../context.js';

const pending = new WeakMap<object, Set<Promise<void>>>();

/**
 * Mail leaves after the answer (auth-api.md A10, §8.1): an SMTP round trip for a registered address
 * and none for an unknown one would time-leak which addresses have accounts (ASVS 2.5.x, OWASP
 * Forgot Password cheat sheet: "consistent response time"). Failures are logged, never answered.
 * Work still running at shutdown is awaited (`settleDeliveries`, called from the plugin's onClose).
 */
export function deliverInBackground(ctx: Pick<AppContext, 'log'>, what: string, work: () => Promise<void>): void {
  let set = pending.get(ctx);
  if (!set) {
    set = new Set();
    pending.set(ctx, set);
  }
  const running: Promise<void> = Promise.resolve()
    .then(work)
    .catch((error: unknown) => ctx.log.error({ err: error, mail: what }, 'email delivery failed'))
    .finally(() => set.delete(running));
  set.add(running);
}

/** Wait for every delivery started so far (tests, graceful shutdown). */
export async function settleDeliveries(ctx: object): Promise<void> {
  const set = pending.get(ctx);
  while (set && set.size > 0) await Promise.allSettled([...set]);
}
