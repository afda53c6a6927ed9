import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { errorResponses, Pagination } from '../http/schemas.js';
import { requesterOf } from '../rls/requester.js';
import { listRecords } from './list.js';
import { createRecords, deleteRecord, readRecord, updateRecord } from './records.js';
import { tableOpenApi, tableSpec } from './spec.js';

const DataRecord = Type.Object(
  { id: Type.String(), createdBy: Type.String(), createdAt: Type.String(), updatedAt: Type.String() },
  { additionalProperties: true, description: 'A record: the four system fields plus its own fields' },
);
const Fields = Type.Object({}, { additionalProperties: true, description: 'Field values (system fields are ignored)' });
const TableParams = Type.Object({ tableName: Type.String({ description: 'Table name (case-sensitive)' }) });
const RecordParams = Type.Object({ tableName: Type.String(), id: Type.String({ description: 'Record id' }) });
const ListQuery = Type.Object({
  page: Type.Optional(Type.String({ description: '1-based page; out-of-range values are clamped (D-23)' })),
  limit: Type.Optional(Type.String({ description: 'Page size 1–100 (default 20); clamped' })),
  sortBy: Type.Optional(Type.String({ description: 'Any field, system fields included (default id)' })),
  sortDirection: Type.Optional(Type.String({ description: 'asc or desc (default desc)' })),
  search: Type.Optional(Type.String({ description: 'ASCII case-insensitive substring over readable string fields' })),
  searchType: Type.Optional(Type.String({ description: 'Restrict search to this field' })),
  andFilters: Type.Optional(Type.String({ description: 'URL-encoded JSON object: every condition holds' })),
  orFilters: Type.Optional(Type.String({ description: 'URL-encoded JSON object (any entry) or array of objects' })),
  select: Type.Optional(Type.Array(Type.String(), { description: 'Comma-separated field names; system fields are always included' })),
});
const SpecResponse = Type.Object(
  { tableName: Type.String(), schema: Type.Object({}, { additionalProperties: true }), indexes: Type.Array(Type.Object({}, { additionalProperties: true })), permissions: Type.Object({}, { additionalProperties: true }) },
  { additionalProperties: true },
);
const tags = ['data'];

/**
 * Data API with RLS (data-and-rls.md §7), registered under /v1/data. Every route takes a key
 * (publishable or secret) and, optionally, a user JWT; the group and RLS are decided per request (§3.2).
 * Literal `spec` / `openapi` segments are static routes, so they win over `:id` (§7.1).
 */
export function dataRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    // §1 / decisions.md §3: a data write without a JSON Content-Type is 400 data/invalid-header.
    app.addContentTypeParser('*', (_request, _payload, done) => done(new AppError('data/invalid-header', 'Content-Type must be application/json'), undefined));
    app.addHook('preValidation', async (request) => {
      if (['POST', 'PATCH', 'PUT'].includes(request.method) && !String(request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
        throw new AppError('data/invalid-header', 'Content-Type must be application/json');
      }
      // §5 step 7: after key and JWT, before scopes and table (the 429 code of this family, D-41).
      await ctx.limiter.consume('dataPerRequester', rateKey(request), 'data/rate-limit-exceeded');
    });

    app.get('/:tableName/spec', {
      schema: { operationId: 'dataTableSpec', tags, summary: 'Schema, indexes and permissions of a table', params: TableParams, response: { 200: SpecResponse, ...errorResponses(400, 401, 403, 404) } },
      config: { auth: 'key' },
      handler: async (request) => tableSpec(ctx, requesterOf(request.caller), request.params.tableName),
    });

    app.get('/:tableName/openapi', {
      schema: { operationId: 'dataTableOpenApi', tags, summary: 'OpenAPI 3.0 document of a table', params: TableParams, response: { 200: Type.Object({}, { additionalProperties: true }), ...errorResponses(400, 401, 403, 404) } },
      config: { auth: 'key' },
      handler: async (request) => tableOpenApi(ctx, requesterOf(request.caller), request.params.tableName, ctx.config.publicUrl),
    });

    app.get('/:tableName', {
      schema: {
        operationId: 'dataList',
        tags,
        summary: 'List records (filters, sort, search, select, pagination; total counted after RLS)',
        params: TableParams,
        querystring: ListQuery,
        response: { 200: Type.Object({ items: Type.Array(DataRecord), pagination: Pagination }), ...errorResponses(400, 401, 403, 404) },
      },
      config: { auth: 'key' },
      handler: async (request) => listRecords(ctx, requesterOf(request.caller), request.params.tableName, request.query),
    });

    app.post('/:tableName', {
      schema: {
        operationId: 'dataCreate',
        tags,
        summary: 'Create a record, or 1–100 records at once (all or nothing)',
        params: TableParams,
        body: Type.Union([Fields, Type.Array(Fields)]),
        response: { 201: Type.Union([DataRecord, Type.Array(DataRecord)]), ...errorResponses(400, 401, 403, 404, 409) },
      },
      config: { auth: 'key' },
      handler: async (request, reply) => {
        reply.code(201);
        return createRecords(ctx, requesterOf(request.caller), request.params.tableName, request.body);
      },
    });

    app.get('/:tableName/:id', {
      schema: { operationId: 'dataRead', tags, summary: 'Read one record', params: RecordParams, response: { 200: DataRecord, ...errorResponses(400, 401, 403, 404) } },
      config: { auth: 'key' },
      handler: async (request) => readRecord(ctx, requesterOf(request.caller), request.params.tableName, request.params.id),
    });

    app.patch('/:tableName/:id', {
      schema: { operationId: 'dataUpdate', tags, summary: 'Update some fields of a record', params: RecordParams, body: Fields, response: { 200: DataRecord, ...errorResponses(400, 401, 403, 404, 409) } },
      config: { auth: 'key' },
      handler: async (request) => updateRecord(ctx, requesterOf(request.caller), request.params.tableName, request.params.id, request.body),
    });

    app.delete('/:tableName/:id', {
      schema: { operationId: 'dataDelete', tags, summary: 'Delete a record', params: RecordParams, response: { 200: Type.Object({ success: Type.Literal(true) }), ...errorResponses(400, 401, 403, 404) } },
      config: { auth: 'key' },
      handler: async (request) => deleteRecord(ctx, requesterOf(request.caller), request.params.tableName, request.params.id),
    });
  };
}

/** One budget per signed-in user, else per client address. */
function rateKey(request: FastifyRequest): string {
  return request.caller.user ? `u:${request.caller.user.id}` : `ip:${request.ip}`;
}
