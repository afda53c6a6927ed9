import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { iso } from '../clock.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { currentUser } from '../http/auth-policy.js';
import { requestMeta } from '../http/request-meta.js';
import { errorResponses, MessageResponse, pageQuery, Pagination, pagination } from '../http/schemas.js';
import { countLiveSessions, findSessionById, listLiveSessions, type SessionRow } from './queries.js';
import { refreshSession, revokeSession } from './sessions.js';

const tags = ['sessions'];

const SessionSchema = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  ipAddress: Type.Union([Type.String(), Type.Null()]),
  deviceInfo: Type.Union([Type.String(), Type.Null()]),
  lastActivityAt: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.String(),
  current: Type.Boolean(),
  device: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  lastAccessedAt: Type.String(),
});

/** §4.2 with the summary page's alias names as copies (auth-api.md §16.13). */
function presentSession(row: SessionRow, currentSid: string) {
  return {
    id: row.id,
    userId: row.user_id,
    userAgent: row.user_agent,
    ipAddress: row.ip_address,
    deviceInfo: row.device_info,
    lastActivityAt: iso(row.last_activity_at)!,
    createdAt: iso(row.created_at)!,
    expiresAt: iso(row.expires_at)!,
    current: row.id === currentSid,
    device: row.device_info,
    ip: row.ip_address,
    lastAccessedAt: iso(row.last_activity_at)!,
  };
}

export function sessionRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/refresh', {
      config: { auth: 'public' },
      schema: {
        operationId: 'refreshToken',
        tags,
        summary: 'A06 — rotate the refresh token',
        body: Type.Object({ refreshToken: Type.String({ maxLength: 512 }) }),
        response: { 200: Type.Ref('TokenResponse'), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => refreshSession(ctx, request.body.refreshToken, requestMeta(request)),
    });

    app.post('/signout', {
      config: { auth: 'user' },
      schema: { operationId: 'signOut', tags, summary: 'A07 — end this session', response: { 200: MessageResponse, ...errorResponses(401) } },
      handler: async (request) => {
        const { session } = currentUser(request);
        await revokeSession(ctx, session, 'signed_out', requestMeta(request));
        return { message: 'Signed out' };
      },
    });

    app.get('/sessions', {
      config: { auth: 'user' },
      schema: {
        operationId: 'listSessions',
        tags,
        summary: 'A13 — my live sessions, newest activity first',
        querystring: pageQuery(10),
        response: { 200: Type.Object({ items: Type.Array(SessionSchema), pagination: Pagination }), ...errorResponses(400, 401) },
      },
      handler: async (request) => {
        const { user, session } = currentUser(request);
        const { page, limit } = request.query;
        const now = ctx.clock.now();
        const [rows, total] = await Promise.all([
          listLiveSessions(ctx.db, user.id, now, limit, (page - 1) * limit),
          countLiveSessions(ctx.db, user.id, now),
        ]);
        return { items: rows.map((row) => presentSession(row, session.id)), pagination: pagination(page, limit, total) };
      },
    });

    app.delete('/sessions/:sessionId', {
      config: { auth: 'user' },
      schema: {
        operationId: 'endSession',
        tags,
        summary: 'A14 — end one of my sessions',
        params: Type.Object({ sessionId: Type.String({ maxLength: 64 }) }),
        response: { 200: MessageResponse, ...errorResponses(400, 401, 404) },
      },
      handler: async (request) => {
        const { user } = currentUser(request);
        const target = await findSessionById(ctx.db, request.params.sessionId, false);
        // Another user's session answers exactly like a missing one (no probing of ids).
        if (!target || target.user_id !== user.id || target.revoked_at !== null || target.expires_at <= ctx.clock.now()) {
          throw new AppError('auth/session-not-found', 'Session not found');
        }
        await revokeSession(ctx, { id: target.id, userId: target.user_id }, 'ended_by_user', requestMeta(request));
        return { message: 'Session ended' };
      },
    });
  };
}
