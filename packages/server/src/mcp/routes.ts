import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { AppError, isAppError } from '../errors/app-error.js';
import { requestMeta } from '../http/request-meta.js';
import { errorResponses } from '../http/schemas.js';
import { requestLog } from '../http/logging.js';
import { authenticateMcp } from './bearer.js';
import { buildMcpServer } from './mcp-server.js';
import { allowedOrigin } from './origin.js';
import { type AuthorizeParams, decideConsent, FatalAuthorizeError, pick, RedirectAuthorizeError, redirectWith, validateAuthorize } from './oauth/authorize.js';
import { consentPage, deniedPage, errorPage } from './oauth/consent-page.js';
import { authorizationServerMetadata, issuerOf, protectedResourceMetadata, protectedResourceMetadataUrl } from './oauth/metadata.js';
import { OAuthError } from './oauth/oauth-error.js';
import { registerClient } from './oauth/register.js';
import { exchangeToken, revokeToken } from './oauth/token.js';

const tags = ['mcp'];
const Json = Type.Object({}, { additionalProperties: true });
const OAuthErrorBody = Type.Object({ error: Type.String(), error_description: Type.String() });
const Html = Type.String();

/**
 * MCP over Streamable HTTP at /mcp (mcp.md §2.1, stateless, JSON replies), its OAuth 2.1 endpoints
 * (§3.2) and the RFC 8414 / RFC 9728 metadata. Route policy is `none` (no API key on /mcp): the
 * bearer check is ours (bearer.ts). Non-JSON-RPC HTTP errors keep the Latch error envelope; the OAuth
 * endpoints answer RFC 6749 error bodies.
 */
export function mcpRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Bodies arrive as text: /mcp answers JSON-RPC -32700 for bad JSON itself, and the OAuth token,
    // revoke and consent endpoints take application/x-www-form-urlencoded (RFC 6749 §4.1.3).
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      app.get(path, {
        config: { auth: 'none' },
        schema: { operationId: path.endsWith('/mcp') ? 'mcpProtectedResourceMetadataMcp' : 'mcpProtectedResourceMetadata', tags, summary: 'OAuth protected resource metadata of /mcp (RFC 9728)', response: { 200: Json, ...errorResponses() } },
        handler: async () => protectedResourceMetadata(ctx),
      });
    }
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/oauth-authorization-server/mcp']) {
      app.get(path, {
        config: { auth: 'none' },
        schema: { operationId: path.endsWith('/mcp') ? 'mcpAuthorizationServerMetadataMcp' : 'mcpAuthorizationServerMetadata', tags, summary: 'OAuth authorization server metadata for MCP clients (RFC 8414)', response: { 200: Json, ...errorResponses() } },
        handler: async () => authorizationServerMetadata(ctx),
      });
    }

    app.post('/mcp/oauth/register', {
      config: { auth: 'none' },
      schema: {
        operationId: 'mcpRegisterClient',
        tags,
        summary: 'Dynamic client registration for MCP clients (RFC 7591, public clients)',
        response: {
          201: Type.Object({
            client_id: Type.String(),
            client_name: Type.String(),
            client_id_issued_at: Type.Integer(),
            redirect_uris: Type.Array(Type.String()),
            grant_types: Type.Array(Type.String()),
            response_types: Type.Array(Type.String()),
            token_endpoint_auth_method: Type.String(),
          }),
          400: OAuthErrorBody,
          ...errorResponses(413, 415),
        },
      },
      handler: async (request, reply) =>
        oauthReply(reply, async () => {
          await ctx.limiter.consume('mcpClientRegistrationPerIp', request.ip ?? 'unknown');
          return reply.code(201).send(await registerClient(ctx, parseJsonBody(request.body)));
        }),
    });

    app.get('/mcp/oauth/authorize', {
      config: { auth: 'none' },
      schema: {
        operationId: 'mcpAuthorize',
        tags,
        summary: 'OAuth authorization request: the consent page where an admin-role Latch user approves an MCP client',
        querystring: Type.Object({}, { additionalProperties: true }),
        response: { 200: Html, 400: Html, ...errorResponses() },
      },
      handler: async (request, reply) => {
        const params = pick(request.query as Record<string, unknown>);
        try {
          const valid = await validateAuthorize(ctx, params);
          return html(reply, 200, consentPage(valid, hiddenFields(params, valid.redirectUri)), valid.redirectUri);
        } catch (error) {
          return authorizeFailure(reply, error);
        }
      },
    });

    app.post('/mcp/oauth/authorize', {
      config: { auth: 'none' },
      schema: {
        operationId: 'mcpAuthorizeDecision',
        tags,
        summary: 'Consent form submission: an approval (admin sign-in) redirects with a code; a denial answers a page linking back',
        response: { 200: Html, 302: Type.Null(), 400: Html, 401: Html, 403: Html, 429: Html, ...errorResponses(413, 415) },
      },
      handler: async (request, reply) => {
        const form = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, string>;
        const params = pick(form);
        try {
          const valid = await validateAuthorize(ctx, params);
          const outcome = await decideConsent(ctx, valid, form, requestMeta(request));
          if (outcome.kind === 'redirect') return reply.redirect(outcome.location, 302);
          if (outcome.kind === 'denied') return html(reply, 200, deniedPage(outcome.link));
          const again = consentPage(valid, hiddenFields(params, valid.redirectUri), { error: outcome.message, askMfa: outcome.askMfa, email: form.email });
          return html(reply, outcome.status, again, valid.redirectUri);
        } catch (error) {
          return authorizeFailure(reply, error);
        }
      },
    });

    app.post('/mcp/oauth/token', {
      config: { auth: 'none' },
      schema: {
        operationId: 'mcpToken',
        tags,
        summary: 'Token endpoint: authorization code (with PKCE verifier) or refresh token → MCP access token',
        response: {
          200: Type.Object({ access_token: Type.String(), token_type: Type.Literal('Bearer'), expires_in: Type.Integer(), refresh_token: Type.String(), scope: Type.String() }),
          400: OAuthErrorBody,
          401: OAuthErrorBody,
          ...errorResponses(413, 415),
        },
      },
      handler: async (request, reply) => oauthReply(reply, async () => reply.header('pragma', 'no-cache').send(await exchangeToken(ctx, formOrJson(request.body)))),
    });

    app.post('/mcp/oauth/revoke', {
      config: { auth: 'none' },
      schema: { operationId: 'mcpRevoke', tags, summary: 'Token revocation (RFC 7009): ends the token\'s whole grant', response: { 200: Type.Object({}), 400: OAuthErrorBody, ...errorResponses(413, 415) } },
      handler: async (request, reply) =>
        oauthReply(reply, async () => {
          await revokeToken(ctx, formOrJson(request.body));
          return reply.send({});
        }),
    });

    app.post('/mcp', {
      config: { auth: 'none' },
      schema: {
        operationId: 'mcp',
        tags,
        summary: 'MCP JSON-RPC over Streamable HTTP (stateless, JSON responses)',
        response: { 200: Json, 202: Type.Null(), 400: Json, 406: Json, ...errorResponses(401, 403, 413, 415) },
      },
      handler: async (request, reply) => {
        // DNS-rebinding defence (mcp.md §2.1): a browser Origin must be this server or an allow-listed one.
        const origin = request.headers.origin;
        if (origin !== undefined && !allowedOrigin(ctx, origin)) throw new AppError('auth/forbidden', 'Origin is not allowed for /mcp');
        const principal = await authenticateMcp(ctx, request).catch((error) => {
          throw withChallenge(ctx, error, request.headers.authorization !== undefined);
        });
        let message: unknown;
        try {
          message = JSON.parse(typeof request.body === 'string' ? request.body : '');
        } catch {
          return reply.code(400).send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the body is not valid JSON' } });
        }
        const server = buildMcpServer(ctx, principal);
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        reply.hijack();
        for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value as string);
        reply.raw.on('close', () => {
          void transport.close();
          void server.close();
        });
        try {
          await server.connect(transport);
          await transport.handleRequest(request.raw, reply.raw, message);
        } catch (error) {
          // The reply is hijacked: Fastify's error handler cannot answer for us any more.
          requestLog(request).error({ err: error }, 'MCP request failed');
          if (!reply.raw.headersSent) {
            reply.raw.writeHead(500, { 'content-type': 'application/json' });
            reply.raw.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error' } }));
          }
        }
      },
    });

    // GET and DELETE /mcp are not routes: a stateless server offers no SSE stream and no session to end,
    // so the router's method check answers 405 common/method-not-allowed with `Allow: POST` (mcp.md §7.2).

    function html(reply: FastifyReply, status: number, body: string, redirectUri?: string) {
      // No framing (clickjacking of the consent form), no scripts; the form may only go to us and, by
      // redirect, to the client's registered redirect URI.
      const formTargets = redirectUri ? `'self' ${new URL(redirectUri).origin}` : "'self'";
      reply.header('content-security-policy', `default-src 'none'; style-src 'unsafe-inline'; form-action ${formTargets}; frame-ancestors 'none'; base-uri 'none'`);
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'no-referrer');
      return reply.code(status).type('text/html; charset=utf-8').send(body);
    }

    function authorizeFailure(reply: FastifyReply, error: unknown) {
      if (error instanceof FatalAuthorizeError) return html(reply, 400, errorPage(error.message));
      if (error instanceof RedirectAuthorizeError) {
        // RFC 9700 §4.11.2: no automatic redirect to a self-registered URI for an unauthenticated visitor.
        const link = redirectWith(error.redirectUri, { error: error.oauth.error, error_description: error.oauth.description, state: error.state, iss: issuerOf(ctx) });
        return html(reply, 400, errorPage(`${error.oauth.description} (${error.oauth.error})`, link));
      }
      throw error;
    }
  };
}

/** The original query parameters travel through the form so the POST can re-validate them. */
function hiddenFields(params: AuthorizeParams, redirectUri: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) if (value !== undefined) out[key] = value;
  out.redirect_uri = redirectUri;
  return out;
}

async function oauthReply(reply: FastifyReply, work: () => Promise<FastifyReply>) {
  try {
    return await work();
  } catch (error) {
    if (error instanceof OAuthError) return reply.code(error.status).send(error.body());
    throw error;
  }
}

function parseJsonBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    throw new OAuthError('invalid_client_metadata', 'body is not valid JSON');
  }
}

/** Token and revoke requests are form-encoded (RFC 6749); JSON is accepted too. */
function formOrJson(body: unknown): Record<string, unknown> {
  const parsed = parseJsonBody(body);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new OAuthError('invalid_request', 'the request body must be form-encoded parameters');
  return parsed as Record<string, unknown>;
}

/** 401 on /mcp names where to start OAuth (RFC 9728 §5.1, mcp.md §3.6). */
function withChallenge(ctx: AppContext, error: unknown, tokenSent: boolean): unknown {
  if (!isAppError(error) || error.statusCode !== 401) return error;
  const challenge = `Bearer resource_metadata="${protectedResourceMetadataUrl(ctx)}"${tokenSent ? ', error="invalid_token"' : ''}`;
  return new AppError(error.code, error.message, error.details, { headers: { 'www-authenticate': challenge } });
}

export type { FastifyRequest };
