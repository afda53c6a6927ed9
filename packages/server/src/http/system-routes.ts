import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { JWKS_MAX_AGE_SECONDS } from '../tokens/signing-keys.js';
import { errorResponses } from './schemas.js';

const tags = ['system'];

/** Endpoints outside /v1 (config.md): health, JWKS, the OpenAPI document and its page. */
export function systemRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/health', {
      config: { auth: 'none' },
      schema: {
        operationId: 'health',
        tags,
        summary: 'Liveness and database reachability',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), database: Type.Literal('ok'), dialect: Type.String() }),
          503: Type.Object({ status: Type.Literal('degraded'), database: Type.Literal('unreachable'), dialect: Type.String() }),
          ...errorResponses(),
        },
      },
      handler: async (_request, reply) => {
        try {
          await sql`select 1`.execute(ctx.db);
          return { status: 'ok' as const, database: 'ok' as const, dialect: ctx.dialect.name };
        } catch {
          return reply.code(503).send({ status: 'degraded' as const, database: 'unreachable' as const, dialect: ctx.dialect.name });
        }
      },
    });

    app.get('/.well-known/jwks.json', {
      config: { auth: 'none' },
      schema: {
        operationId: 'jwks',
        tags,
        summary: 'Public keys that verify access tokens (RFC 7517)',
        response: { 200: Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }), ...errorResponses() },
      },
      handler: async (_request, reply) => {
        reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
        return ctx.keys.jwks();
      },
    });

    app.get('/openapi.json', {
      config: { auth: 'none' },
      schema: { operationId: 'openapi', tags, summary: 'The OpenAPI 3.1 document', hide: true, response: { 200: Type.Object({}, { additionalProperties: true }), ...errorResponses() } },
      handler: async () => app.swagger(),
    });

    app.get('/docs', {
      config: { auth: 'none' },
      schema: { operationId: 'apiDocsPage', tags, summary: 'A page that renders the OpenAPI document', hide: true, response: { 200: Type.String(), ...errorResponses() } },
      handler: async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE),
    });
  };
}

// A dependency-free page: fetches /openapi.json and lists every operation with its schemas.
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Latch API</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#222}
h2{margin-top:2rem;border-bottom:1px solid #ddd}code{background:#f4f4f4;padding:0 .3em}
details{margin:.4rem 0}summary{cursor:pointer}.m{display:inline-block;width:4.5rem;font-weight:600}
pre{background:#f8f8f8;padding:.6rem;overflow:auto;font-size:13px}</style></head>
<body><h1>Latch API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p><div id="ops">Loading…</div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  const byTag={};
  for(const [path,item] of Object.entries(doc.paths||{}))for(const [method,op] of Object.entries(item)){
    const tag=(op.tags||['other'])[0];(byTag[tag]=byTag[tag]||[]).push({path,method,op});}
  const esc=s=>String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
  document.getElementById('ops').innerHTML=Object.entries(byTag).map(([tag,ops])=>'<h2>'+esc(tag)+'</h2>'+ops.map(({path,method,op})=>
    '<details><summary><span class="m">'+method.toUpperCase()+'</span><code>'+esc(path)+'</code> '+esc(op.summary||'')+'</summary><pre>'+
    esc(JSON.stringify({requestBody:op.requestBody,parameters:op.parameters,responses:op.responses},null,2))+'</pre></details>').join('')).join('');
});
</script></body></html>`;
