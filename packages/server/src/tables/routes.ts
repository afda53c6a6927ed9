import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { errorResponses, pageQuery, pagination } from '../http/schemas.js';
import {
  createTable,
  deleteTable,
  getTable,
  listIndexVersions,
  listSchemaVersions,
  listTables,
  manageFields,
  manageIndexes,
  updateTable,
} from './service.js';

const AnyObject = Type.Object({}, { additionalProperties: true });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const TableSchema = Type.Object(
  {
    id: Type.String(),
    tableName: Type.String(),
    displayName: Nullable(Type.String()),
    description: Nullable(Type.String()),
    schema: Type.Object({ bsonType: Type.Literal('object'), required: Type.Array(Type.String()), properties: AnyObject }),
    indexes: Type.Array(Type.Object({ name: Type.String(), fields: Type.Record(Type.String(), Type.Integer()), unique: Type.Boolean(), sparse: Type.Boolean() })),
    permissions: Nullable(AnyObject),
    expressionPermissions: Nullable(Type.Record(Type.String(), Type.String())),
    columnPermissions: Nullable(AnyObject),
    rowFilters: Nullable(Type.Array(Type.Object({ expression: Type.String(), filter: AnyObject }))),
    documentCount: Type.Integer(),
    schemaVersion: Type.Integer(),
    indexVersion: Type.Integer(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { description: 'A data table (decisions.md §4)' },
);

const PolicyKeys = {
  permissions: Type.Optional(Nullable(AnyObject)),
  expressionPermissions: Type.Optional(Nullable(AnyObject)),
  columnPermissions: Type.Optional(Nullable(AnyObject)),
  rowFilters: Type.Optional(Nullable(Type.Array(AnyObject))),
};
const CreateBody = Type.Object(
  {
    tableName: Type.String({ description: 'Starts with a letter (or _ for a system table); letters, digits, _ and -; max 64' }),
    schema: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'A property map or { bsonType: "object", required, properties }' })),
    displayName: Type.Optional(Nullable(Type.String())),
    description: Type.Optional(Nullable(Type.String())),
    indexes: Type.Optional(Type.Array(AnyObject)),
    ...PolicyKeys,
  },
  { additionalProperties: true },
);
const UpdateBody = Type.Object({ displayName: Type.Optional(Nullable(Type.String())), description: Type.Optional(Nullable(Type.String())), ...PolicyKeys }, { additionalProperties: true });
const FieldsBody = Type.Object(
  {
    fieldsToAddOrUpdate: Type.Optional(AnyObject),
    fieldsToRemove: Type.Optional(Type.Array(Type.String())),
    requiredFieldsToAdd: Type.Optional(Type.Array(Type.String())),
    requiredFieldsToRemove: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true },
);
const IndexesBody = Type.Object(
  { indexesToAddOrUpdate: Type.Optional(Type.Array(AnyObject)), indexesToRemove: Type.Optional(Type.Array(Type.String())) },
  { additionalProperties: true },
);
const TableParam = Type.Object({ table: Type.String({ description: 'Table id or name' }) });
const PaginationSchema = Type.Object({ page: Type.Integer(), limit: Type.Integer(), total: Type.Integer(), totalPages: Type.Integer(), hasNext: Type.Boolean(), hasPrev: Type.Boolean() });
const Version = { version: Type.Integer(), createdAt: Type.String(), createdBy: Type.String(), current: Type.Boolean() };
const SchemaVersionList = Type.Object({ items: Type.Array(Type.Object({ ...Version, schema: Type.Optional(AnyObject) })), pagination: PaginationSchema });
const IndexVersionList = Type.Object({ items: Type.Array(Type.Object({ ...Version, indexes: Type.Optional(Type.Array(AnyObject)) })), pagination: PaginationSchema });
const tags = ['admin-tables'];

/** Who changed a table (recorded on versions): the admin user, else the secret key's id. */
function actorOf(request: FastifyRequest): string {
  return request.caller.user?.id ?? `key:${request.caller.key?.id ?? 'unknown'}`;
}

/**
 * Table management for operators (decisions.md §4), registered under /v1/admin/tables: the secret key,
 * or a publishable key with an admin JWT. The same service backs `latch tables apply` and MCP.
 */
export function tableAdminRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/', {
      schema: { operationId: 'adminTablesList', tags, summary: 'List tables with schema and row counts', querystring: pageQuery(20), response: { 200: Type.Object({ items: Type.Array(TableSchema), pagination: PaginationSchema }), ...errorResponses(400, 401, 403) } },
      config: { auth: 'admin' },
      handler: async (request) => {
        const { page, limit } = request.query;
        const all = await listTables(ctx);
        return { items: all.slice((page - 1) * limit, page * limit), pagination: pagination(page, limit, all.length) };
      },
    });

    app.post('/', {
      schema: { operationId: 'adminTablesCreate', tags, summary: 'Create a table', body: CreateBody, response: { 201: TableSchema, ...errorResponses(400, 401, 403, 409) } },
      config: { auth: 'admin' },
      handler: async (request, reply) => {
        reply.code(201);
        return createTable(ctx, request.body, actorOf(request));
      },
    });

    app.get('/:table', {
      schema: { operationId: 'adminTablesGet', tags, summary: 'Get a table by id or name', params: TableParam, response: { 200: TableSchema, ...errorResponses(400, 401, 403, 404) } },
      config: { auth: 'admin' },
      handler: async (request) => getTable(ctx, request.params.table),
    });

    app.patch('/:table', {
      schema: { operationId: 'adminTablesUpdate', tags, summary: 'Update display name, description or policies (each part sent is replaced whole)', params: TableParam, body: UpdateBody, response: { 200: TableSchema, ...errorResponses(400, 401, 403, 404) } },
      config: { auth: 'admin' },
      handler: async (request) => updateTable(ctx, request.params.table, request.body, actorOf(request)),
    });

    app.delete('/:table', {
      schema: { operationId: 'adminTablesDelete', tags, summary: 'Delete a table and all its rows', params: TableParam, response: { 200: Type.Object({ success: Type.Literal(true) }), ...errorResponses(400, 401, 403, 404) } },
      config: { auth: 'admin' },
      handler: async (request) => deleteTable(ctx, request.params.table, actorOf(request)),
    });

    app.post('/:table/fields', {
      schema: { operationId: 'adminTablesManageFields', tags, summary: 'Add, update or remove fields and required flags (records a schema version)', params: TableParam, body: FieldsBody, response: { 200: TableSchema, ...errorResponses(400, 401, 403, 404) } },
      config: { auth: 'admin' },
      handler: async (request) => manageFields(ctx, request.params.table, request.body, actorOf(request)),
    });

    app.post('/:table/indexes', {
      schema: { operationId: 'adminTablesManageIndexes', tags, summary: 'Add, replace or remove indexes (records an index version)', params: TableParam, body: IndexesBody, response: { 200: TableSchema, ...errorResponses(400, 401, 403, 404, 409) } },
      config: { auth: 'admin' },
      handler: async (request) => manageIndexes(ctx, request.params.table, request.body, actorOf(request)),
    });

    app.get('/:table/schema-versions', {
      schema: { operationId: 'adminTablesSchemaVersions', tags, summary: 'Schema versions, newest first', params: TableParam, querystring: pageQuery(20), response: { 200: SchemaVersionList, ...errorResponses(400, 401, 403, 404) } },
      config: { auth: 'admin' },
      handler: async (request) => listSchemaVersions(ctx, request.params.table, request.query.page, request.query.limit),
    });

    app.get('/:table/index-versions', {
      schema: { operationId: 'adminTablesIndexVersions', tags, summary: 'Index versions, newest first', params: TableParam, querystring: pageQuery(20), response: { 200: IndexVersionList, ...errorResponses(400, 401, 403, 404) } },
      config: { auth: 'admin' },
      handler: async (request) => listIndexVersions(ctx, request.params.table, request.query.page, request.query.limit),
    });
  };
}
