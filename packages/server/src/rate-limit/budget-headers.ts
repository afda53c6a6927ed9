import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';

interface Budget {
  limit: number;
  remaining: number;
}

const current = new AsyncLocalStorage<{ budget?: Budget }>();

/**
 * Called when a request spends a point: the tightest budget of the request is what its response reports
 * (data-and-rls.md §1: X-RateLimit-Limit / X-RateLimit-Remaining). Failure counters (sign-in lockout)
 * are never reported, so a response does not reveal how close an account is to being locked.
 */
export function reportBudget(limit: number, remaining: number): void {
  const store = current.getStore();
  if (!store) return;
  if (!store.budget || remaining < store.budget.remaining) store.budget = { limit, remaining };
}

/** Each request runs in its own budget scope; the answer (success or error) carries the headers. */
export function installBudgetHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, _reply, done) => {
    current.run({}, done);
  });
  app.addHook('onSend', async (_request, reply) => {
    const budget = current.getStore()?.budget;
    if (!budget || reply.hasHeader('x-ratelimit-limit')) return;
    reply.header('x-ratelimit-limit', String(budget.limit));
    reply.header('x-ratelimit-remaining', String(budget.remaining));
  });
}
