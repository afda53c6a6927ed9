import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { adminAuditRoutes } from './audit/routes.js';
import { authRoutes } from './auth/routes.js';
import { dataRoutes } from './data/routes.js';
import { dataShorthandUrl } from './data/shorthand.js';
import { emailFlowRoutes } from './email-flows/routes.js';
import { invitationRoutes } from './invitations/routes.js';
import { mcpRoutes } from './mcp/routes.js';
import { mfaRoutes } from './mfa/routes.js';
import { oauthRoutes } from './oauth/routes.js';
import { tableAdminRoutes } from './tables/routes.js';
import { userRoutes } from './users/routes.js';
import { avatarUploadRoutes } from './users/avatars/upload-routes.js';
import type { AppContext } from './context.js';
import { uuidv7 } from './crypto/random.js';
import { installAuthPolicy } from './http/auth-policy.js';
import { installErrorHandling, onFrameworkError } from './http/error-handler.js';
import { installDrain } from './http/drain.js';
import { installJsonBody } from './http/json-body.js';
import { installRouteCatalog } from './http/route-catalog.js';
import { ErrorResponse, TokenResponse } from './http/schemas.js';
import { systemRoutes } from './http/system-routes.js';
import { buildValidatorCompiler } from './http/validation.js';
import { sessionRoutes } from './sessions/routes.js';
import { SelfUserSchema } from './users/present.js';

const SHARED_SCHEMAS = [ErrorResponse, TokenResponse, SelfUserSchema];
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Plumbing first, then every capability with its prefix: the whole API on one screen. */
export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const requestLogging = ['info', 'debug', 'trace'].includes(ctx.log.level);
  const app = Fastify({
    loggerInstance: ctx.log,
    // Per-request log lines (and their child loggers and redaction) only when the level prints them.
    logController: new LogController({ disableRequestLogging: !requestLogging }),
    // Without request lines nothing needs a per-request child logger; error lines add reqId themselves.
    childLoggerFactory: (logger, bindings, options) => (requestLogging ? logger.child(bindings, options) : logger),
    bodyLimit: ctx.config.bodyLimit,
    trustProxy: ctx.config.trustProxy,
    // A caller's request id is kept when it is plain, so logs can be joined across services.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : uuidv7();
    },
    ajv: { customOptions: { coerceTypes: false } },
    routerOptions: { maxParamLength: 256 },
    // data-and-rls.md §7.1: /v1/:tableName… is the Data API's shorthand (never for reserved names).
    rewriteUrl: (req) => dataShorthandUrl(req.url ?? '/'),
    frameworkErrors: onFrameworkError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON only: any other body type is a 415 (decisions.md §3), not a string handed to a handler.
  app.removeContentTypeParser(['text/plain']);
  installJsonBody(app);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  app.setValidatorCompiler(buildValidatorCompiler(SHARED_SCHEMAS));

  // Callback-style hooks where there is nothing to await: no promise and microtask per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.header('cache-control', 'no-store');
    done();
  });
  await app.register(cors, {
    origin: '*',
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowedHeaders: ['X-API-Key', 'Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: 'Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id', // joined once, not per response
    credentials: false,
    maxAge: 600,
    strictPreflight: false,
  });
  installRouteCatalog(app);
  installDrain(app);
  installErrorHandling(app);
  installAuthPolicy(app, ctx);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Latch', version: '0.1.0', description: 'Self-hostable auth server with a bkend-compatible REST API' },
      servers: [{ url: ctx.config.publicUrl }],
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  await app.register(systemRoutes(ctx));
  await app.register(authRoutes(ctx), { prefix: '/v1/auth' });
  await app.register(sessionRoutes(ctx), { prefix: '/v1/auth' });
  await app.register(emailFlowRoutes(ctx), { prefix: '/v1/auth' });
  await app.register(oauthRoutes(ctx), { prefix: '/v1/auth' });
  await app.register(mfaRoutes(ctx), { prefix: '/v1/auth/mfa' });
  await app.register(invitationRoutes(ctx), { prefix: '/v1/auth' });
  await app.register(userRoutes(ctx), { prefix: '/v1/users' });
  await app.register(avatarUploadRoutes(ctx), { prefix: '/uploads/avatars' });
  await app.register(dataRoutes(ctx), { prefix: '/v1/data' });
  await app.register(tableAdminRoutes(ctx), { prefix: '/v1/admin/tables' });
  await app.register(adminAuditRoutes(ctx), { prefix: '/v1/admin' });
  await app.register(mcpRoutes(ctx));
  return app;
}
