import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isAdminKey, scopedKeyRefusal, verifyApiKey, type VerifiedKey } from '../api-keys/api-keys.js';
import type { AppContext } from '../context.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import { authenticateBearer } from '../sessions/authenticate.js';
import type { SessionState } from '../sessions/auth-cache.js';
import type { AccessClaims } from '../tokens/signing-keys.js';
import { familyOf } from './route-family.js';

/**
 * Every route declares who may call it (STYLE §5):
 * - `none`: no API key (health, JWKS, OpenAPI, the browser-navigated GETs of auth-api.md §1.3)
 * - `public`: a publishable or secret key; the Authorization header is not read at all, so a client
 *   whose interceptor attaches an expired token to sign-in or refresh is not locked out of them
 * - `key`: a publishable or secret key; a JWT, when sent, is verified and attached (a bad one is a 401,
 *   never a silent downgrade to anonymous)
 * - `user`: a key and a valid access token (the secret key alone does not act as a user, §1.1)
 * - `admin`: the secret key without scopes, or any key with an admin-role access token (decisions.md §5;
 *   a secret key with scopes is limited to /v1/data, api-keys.ts `isAdminKey`)
 */
export type AuthPolicy = 'none' | 'public' | 'key' | 'user' | 'admin';

export interface Caller {
  key?: VerifiedKey;
  claims?: AccessClaims;
  session?: SessionState;
  user?: UsersTable;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthPolicy;
  }
  interface FastifyRequest {
    caller: Caller;
  }
}

const POLICIES = new Set<AuthPolicy>(['none', 'public', 'key', 'user', 'admin']);
// A request without X-API-Key behaves as if it carried the publishable key (decisions.md §6).
const IMPLICIT_PUBLISHABLE: VerifiedKey = { id: 'implicit', type: 'publishable', scopes: null };

export function installAuthPolicy(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('caller', null as never);
  app.addHook('onRequest', async (request) => {
    request.caller = {};
    // Preflights are answered by CORS before any key, auth or rate-limit check (auth-api.md §1.2).
    if (request.method === 'OPTIONS') return;
    const policy = request.routeOptions.config?.auth;
    // The 404/405 handler has no policy and needs none; any real route without one fails closed.
    if (request.is404) return;
    if (!policy || !POLICIES.has(policy)) throw new AppError('common/internal-error', 'Route has no auth policy');
    if (policy === 'none') return;
    await resolveCaller(ctx, request, policy);
  });
}

async function resolveCaller(ctx: AppContext, request: FastifyRequest, policy: AuthPolicy): Promise<void> {
  const header = request.headers['x-api-key'];
  const rawKey = Array.isArray(header) ? header[0] : header;
  const key =
    rawKey === undefined && !ctx.config.requireApiKey ? IMPLICIT_PUBLISHABLE : await verifyApiKey(ctx, rawKey);
  request.caller.key = key;

  const authorization = request.headers.authorization;
  const family = familyOf(request.url);
  if (authorization !== undefined && policy !== 'public') {
    const { claims, session, user } = await authenticateBearer(ctx, authorization);
    Object.assign(request.caller, { claims, session, user });
  }

  if (policy === 'user' && !request.caller.user) {
    throw new AppError(family === 'users' ? 'user/unauthorized' : 'auth/unauthorized', 'Authorization: Bearer <accessToken> is required');
  }
  if (policy === 'admin' && !isAdminKey(key)) {
    if (!request.caller.user) {
      throw scopedKeyRefusal(key, family === 'users' ? 'user' : 'auth') ?? new AppError(family === 'users' ? 'user/unauthorized' : 'auth/unauthorized', 'Admin access needs the secret key or an admin access token');
    }
    if (request.caller.user.role !== 'admin') {
      throw new AppError(family === 'users' ? 'user/forbidden' : 'auth/forbidden', 'Admin role required');
    }
  }
}

/** The signed-in caller of a `user` route (the hook guarantees one). */
export function currentUser(request: FastifyRequest): { user: UsersTable; session: SessionState; claims: AccessClaims } {
  const { user, session, claims } = request.caller;
  if (!user || !session || !claims) throw new AppError('auth/unauthorized', 'Authorization: Bearer <accessToken> is required');
  return { user, session, claims };
}
