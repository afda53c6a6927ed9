import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { iso } from '../clock.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { errorResponses, pageQuery, pagination, Pagination } from '../http/schemas.js';
import { countAuditEvents, countOutbox, deleteOutbox, listAuditEvents, listOutbox } from './queries.js';

const tags = ['admin'];

const AuditItem = Type.Object({
  id: Type.String(),
  event: Type.String(),
  outcome: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  actor: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  details: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  createdAt: Type.String(),
});

const OutboxItem = Type.Object({
  id: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  template: Type.Union([Type.String(), Type.Null()]),
  text: Type.String(),
  html: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});

/** Audit log and dev outbox for operators — registered in app.ts under /v1/admin (decisions.md §6). */
export function adminAuditRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/audit', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'listAuditEvents',
        tags,
        summary: 'Security events, newest first, filtered by user, event and time (from inclusive, to exclusive)',
        querystring: Type.Composite([
          pageQuery(20),
          Type.Object({
            userId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            event: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'noun.verb, e.g. user.signed_in' })),
            from: Type.Optional(Type.String({ format: 'date-time', description: 'ISO-8601, inclusive' })),
            to: Type.Optional(Type.String({ format: 'date-time', description: 'ISO-8601, exclusive' })),
          }),
        ]),
        response: { 200: Type.Object({ items: Type.Array(AuditItem), pagination: Pagination }), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { page, limit, userId, event } = request.query;
        const filter = { userId, event, from: instant(request.query.from), to: instant(request.query.to) };
        const [rows, total] = await Promise.all([listAuditEvents(ctx.db, filter, limit, (page - 1) * limit), countAuditEvents(ctx.db, filter)]);
        const items = rows.map((row) => ({
          id: row.id,
          event: row.event,
          outcome: row.outcome,
          userId: row.user_id,
          sessionId: row.session_id,
          actor: row.actor,
          ip: row.ip,
          userAgent: row.user_agent,
          details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
          createdAt: iso(row.created_at)!,
        }));
        return { items, pagination: pagination(page, limit, total) };
      },
    });

    app.get('/outbox', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'listOutbox',
        tags,
        summary: 'The dev mailer\'s messages, newest first (404 when LATCH_SMTP_URL is set)',
        querystring: Type.Composite([pageQuery(20), Type.Object({ to: Type.Optional(Type.String({ maxLength: 320 })) })]),
        response: { 200: Type.Object({ items: Type.Array(OutboxItem), pagination: Pagination }), ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        assertOutbox(ctx);
        const { page, limit, to } = request.query;
        const [rows, total] = await Promise.all([listOutbox(ctx.db, to, limit, (page - 1) * limit), countOutbox(ctx.db, to)]);
        const items = rows.map((row) => ({
          id: row.id,
          to: row.to_address,
          subject: row.subject,
          template: row.template,
          text: row.text_body,
          html: row.html_body,
          createdAt: iso(row.created_at)!,
        }));
        return { items, pagination: pagination(page, limit, total) };
      },
    });

    app.delete('/outbox', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'clearOutbox',
        tags,
        summary: 'Empty the dev mailer\'s outbox (404 when LATCH_SMTP_URL is set)',
        response: { 200: Type.Object({ message: Type.String(), deleted: Type.Integer() }), ...errorResponses(401, 403, 404) },
      },
      handler: async () => {
        assertOutbox(ctx);
        return { message: 'Outbox emptied', deleted: await deleteOutbox(ctx.db) };
      },
    });
  };
}

/** With real SMTP there is no outbox: the endpoints do not exist (decisions.md §6). */
function assertOutbox(ctx: AppContext): void {
  if (ctx.mailer.kind !== 'outbox') throw new AppError('common/not-found', 'No outbox: mail is sent over SMTP (LATCH_SMTP_URL)');
}

function instant(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('common/invalid-parameters', 'from/to must be ISO-8601 date-times');
  return ms;
}
