import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { installRouteCatalog, type CatalogRoute } from './route-catalog.js';

/**
 * The meta-test of STYLE §4/§5: it walks every route of the built app — including routes other
 * capabilities add later — and fails any route that lacks an operationId, tags, a summary, response
 * schemas for what it can answer, or an auth policy. Every /v1 route needs an API key except the two
 * browser-navigated GETs of auth-api.md §1.3.
 */

// The policies of http/auth-policy.ts; the hook fails closed on anything else.
const POLICIES = new Set(['none', 'public', 'key', 'user', 'admin']);
const KEYLESS_V1 = new Set(['GET /v1/auth/signup/email/confirm', 'GET /v1/auth/:provider/callback']);

function routeProblems(route: CatalogRoute): string[] {
  const problems: string[] = [];
  const schema = route.schema;
  if (typeof route.auth !== 'string' || !POLICIES.has(route.auth)) problems.push(`auth policy ${JSON.stringify(route.auth)} is not one of ${[...POLICIES].join('|')}`);
  if (!schema) return [...problems, 'no schema'];
  if (typeof schema.operationId !== 'string' || schema.operationId === '') problems.push('no operationId');
  if (!Array.isArray(schema.tags) || schema.tags.length === 0) problems.push('no tags');
  if (typeof schema.summary !== 'string' || schema.summary === '') problems.push('no summary');
  const response = schema.response as Record<string, unknown> | undefined;
  const statuses = Object.keys(response ?? {});
  if (!statuses.some((s) => /^[23]/.test(s))) problems.push('no success response schema');
  if (!statuses.includes('500')) problems.push('no 500 response schema (use errorResponses())');
  if (route.auth !== 'none' && !statuses.includes('401')) problems.push('needs a key or token but declares no 401');
  if ((schema.body || schema.querystring || schema.params) && !statuses.includes('400')) problems.push('validates input but declares no 400 (any body, query or path parameter can be refused: bad type, NUL, bad encoding, length)');
  if (route.url.startsWith('/v1/') && route.auth === 'none' && !KEYLESS_V1.has(`${route.method} ${route.url}`)) {
    problems.push('a /v1 route without the API-key requirement (only auth-api.md §1.3 routes may skip it)');
  }
  return problems;
}

describe('every registered route honours the route contract', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('finds the routes of the built app', () => {
    const urls = t.app.routeCatalog.map((r) => `${r.method} ${r.url}`);
    expect(urls).toEqual(expect.arrayContaining(['GET /health', 'POST /v1/auth/email/signup', 'GET /v1/auth/me']));
  });

  it('has an operationId, tags, summary, response schemas and an auth policy on every route', () => {
    const failures = t.app.routeCatalog
      .filter((route) => route.method !== 'HEAD')
      .map((route) => ({ route: `${route.method} ${route.url}`, problems: routeProblems(route) }))
      .filter((entry) => entry.problems.length > 0);
    expect(failures).toEqual([]);
  });

  it('uses each operationId once', () => {
    const ids = t.app.routeCatalog.filter((r) => r.method !== 'HEAD').map((r) => r.schema?.operationId);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(repeated).toEqual([]);
  });

  it('publishes every visible route in the OpenAPI 3.1 document', async () => {
    const res = await t.request('GET', '/openapi.json', { key: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const item of Object.values(res.body.paths as Record<string, Record<string, { operationId?: string }>>)) {
      for (const op of Object.values(item)) if (op.operationId) documented.add(op.operationId);
    }
    const missing = t.app.routeCatalog
      .filter((r) => r.method !== 'HEAD' && !r.schema?.hide && typeof r.schema?.operationId === 'string')
      .map((r) => r.schema!.operationId as string)
      .filter((id) => !documented.has(id));
    expect(missing).toEqual([]);
  });

  it('serves the docs page', async () => {
    const res = await t.request('GET', '/docs', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('/openapi.json');
  });
});

describe('the route contract check itself', () => {
  it('reports each kind of defect (so the meta-test can fail)', async () => {
    const app = Fastify();
    installRouteCatalog(app);
    const ok = { operationId: 'ok', tags: ['t'], summary: 's', response: { 200: {}, 401: {}, 429: {}, 500: {} } };
    app.get('/good', { config: { auth: 'key' }, schema: ok }, async () => ({}));
    app.get('/no-schema', { config: { auth: 'key' } }, async () => ({}));
    app.get('/no-policy', { schema: { ...ok, operationId: 'np' } }, async () => ({}));
    app.get('/bad-policy', { config: { auth: 'everyone' as never }, schema: { ...ok, operationId: 'bp' } }, async () => ({}));
    app.get('/no-operation-id', { config: { auth: 'key' }, schema: { ...ok, operationId: undefined } }, async () => ({}));
    app.get('/no-response', { config: { auth: 'key' }, schema: { operationId: 'nr', tags: ['t'], summary: 's' } }, async () => ({}));
    app.get('/no-401', { config: { auth: 'user' }, schema: { ...ok, operationId: 'n401', response: { 200: {}, 500: {} } } }, async () => ({}));
    app.post('/no-400', { config: { auth: 'key' }, schema: { ...ok, operationId: 'n400', body: { type: 'object' } } }, async () => ({}));
    app.get('/v1/auth/open', { config: { auth: 'none' }, schema: { ...ok, operationId: 'open' } }, async () => ({}));
    app.get('/v1/auth/:provider/callback', { config: { auth: 'none' }, schema: { ...ok, operationId: 'cb' } }, async () => ({}));
    await app.ready();
    const problems = Object.fromEntries(app.routeCatalog.filter((r) => r.method !== 'HEAD').map((r) => [r.url, routeProblems(r)]));
    expect(problems['/good']).toEqual([]);
    expect(problems['/v1/auth/:provider/callback']).toEqual([]);
    expect(problems['/no-schema']).toEqual(['no schema']);
    expect(problems['/no-policy'][0]).toMatch(/auth policy undefined/);
    expect(problems['/bad-policy'][0]).toMatch(/auth policy "everyone"/);
    expect(problems['/no-operation-id']).toEqual(['no operationId']);
    expect(problems['/no-response']).toEqual(['no success response schema', 'no 500 response schema (use errorResponses())', 'needs a key or token but declares no 401']);
    expect(problems['/no-401']).toEqual(['needs a key or token but declares no 401']);
    expect(problems['/no-400']).toEqual(['validates input but declares no 400 (any body, query or path parameter can be refused: bad type, NUL, bad encoding, length)']);
    expect(problems['/v1/auth/open']).toEqual(['a /v1 route without the API-key requirement (only auth-api.md §1.3 routes may skip it)']);
    await app.close();
  });
});
