import type { FastifyInstance, FastifySchema } from 'fastify';

/** One registered route as declared: what the meta-test and tooling read (STYLE §4). */
export interface CatalogRoute {
  method: string;
  url: string;
  auth: unknown;
  schema: (FastifySchema & { operationId?: unknown; tags?: unknown; summary?: unknown; hide?: boolean }) | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered after this plugin, in registration order. */
    routeCatalog: readonly CatalogRoute[];
  }
}

/** Records every route as it is registered, so a test can walk the whole built app, later routes included. */
export function installRouteCatalog(app: FastifyInstance): void {
  const routes: CatalogRoute[] = [];
  app.decorate('routeCatalog', routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      routes.push({ method, url: route.url, auth: route.config?.auth, schema: route.schema as CatalogRoute['schema'] });
    }
  });
}
