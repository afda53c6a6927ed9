import type { AppContext } from '../context.js';
import { objectSchema, type ToolDef } from './tool-registry.js';
import { ToolError } from './tool-error.js';

/**
 * Table, field, index and version tools (mcp.md §4.6) over the service layer that also serves
 * `/v1/admin/tables` (decisions.md §4), so REST, CLI and MCP share one implementation.
 */
export interface TableOps {
  list(): Promise<unknown>;
  get(id: string): Promise<unknown>;
  create(body: Record<string, unknown>): Promise<unknown>;
  update(id: string, body: Record<string, unknown>): Promise<unknown>;
  manageFields(id: string, body: Record<string, unknown>): Promise<unknown>;
  manageIndexes(id: string, body: Record<string, unknown>): Promise<unknown>;
  schemaVersions(id: string, page: number, limit: number): Promise<unknown>;
  indexVersions(id: string, page: number, limit: number): Promise<unknown>;
}

let resolveOps: ((ctx: AppContext) => TableOps) | undefined;

function ops(ctx: AppContext): TableOps {
  if (!resolveOps) throw new ToolError('INTERNAL', 'Table management is not available in this build');
  return resolveOps(ctx);
}

export function tableResourceReaders(ctx: AppContext) {
  return {
    list: () => ops(ctx).list(),
    get: (id: string) => ops(ctx).get(id),
    schemaVersions: (id: string) => ops(ctx).schemaVersions(id, 1, 100),
    indexVersions: (id: string) => ops(ctx).indexVersions(id, 1, 100),
  };
}

const tableId = { type: 'string', minLength: 1, maxLength: 128 };
const page = { type: 'integer', minimum: 1 };
const limit = { type: 'integer', minimum: 1, maximum: 100 };
const policyObject = { type: 'object' };
const fieldMap = { type: 'object', additionalProperties: { type: 'object' } };
const names = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 } };
const index = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 128 }, fields: { type: 'object' }, unique: { type: 'boolean' }, sparse: { type: 'boolean' } },
  required: ['name', 'fields'],
  additionalProperties: false,
};

export const tableTools: ToolDef[] = [
  {
    name: 'backend_table_list',
    description: 'List tables with their schema definition and row (document) count. Optional filters projectId and environment (this Latch has one of each, "default").',
    inputSchema: objectSchema({ projectId: { type: 'string' }, environment: { type: 'string' } }),
    scope: 'table:read',
    run: (ctx) => ops(ctx).list(),
  },
  {
    name: 'backend_table_get',
    description: 'Get one table (by id or name) with its full schema, indexes, policies and row count.',
    inputSchema: objectSchema({ tableId }, ['tableId']),
    scope: 'table:read',
    run: (ctx, _p, args) => ops(ctx).get(String(args.tableId)),
  },
  {
    name: 'backend_table_create',
    description:
      'Create a table. body: projectId, environment, tableName (letters/digits/_/-, starts with a letter, max 64), schema (a property map { field: { bsonType } } or a full { bsonType: "object", required, properties }), optional displayName, description.',
    inputSchema: objectSchema(
      {
        body: {
          type: 'object',
          properties: {
            projectId: { type: 'string' },
            environment: { type: 'string' },
            tableName: { type: 'string', minLength: 1, maxLength: 64 },
            schema: { type: 'object' },
            displayName: { type: 'string', maxLength: 200 },
            description: { type: 'string', maxLength: 2000 },
            permissions: policyObject,
            expressionPermissions: policyObject,
            columnPermissions: policyObject,
            rowFilters: { type: 'array' },
            indexes: { type: 'array', items: index },
          },
          required: ['projectId', 'environment', 'tableName', 'schema'],
          additionalProperties: false,
        },
      },
      ['body'],
    ),
    scope: 'table:create',
    run: (ctx, _p, args) => {
      const { projectId: _project, environment: _environment, ...body } = args.body as Record<string, unknown>;
      return ops(ctx).create(body);
    },
  },
  {
    name: 'backend_table_update',
    description:
      'Update table metadata and policies: any of displayName, description, permissions, expressionPermissions, columnPermissions, rowFilters; each policy key is replaced whole. Field edits go through backend_field_manage.',
    inputSchema: objectSchema(
      {
        tableId,
        body: objectSchema({
          displayName: { type: 'string', maxLength: 200 },
          description: { type: 'string', maxLength: 2000 },
          permissions: policyObject,
          expressionPermissions: policyObject,
          columnPermissions: policyObject,
          rowFilters: { type: 'array' },
        }),
      },
      ['tableId'],
    ),
    scope: 'table:update',
    run: (ctx, _p, args) => ops(ctx).update(String(args.tableId), (args.body ?? {}) as Record<string, unknown>),
  },
  {
    name: 'backend_field_manage',
    description: 'Add, update or remove fields and required flags; records a new schema version. body: fieldsToAddOrUpdate { name: { bsonType, ... } }, fieldsToRemove [], requiredFieldsToAdd [], requiredFieldsToRemove [].',
    inputSchema: objectSchema(
      { tableId, body: objectSchema({ fieldsToAddOrUpdate: fieldMap, fieldsToRemove: names, requiredFieldsToAdd: names, requiredFieldsToRemove: names }) },
      ['tableId', 'body'],
    ),
    scope: 'table:update',
    run: (ctx, _p, args) => ops(ctx).manageFields(String(args.tableId), args.body as Record<string, unknown>),
  },
  {
    name: 'backend_index_manage',
    description: 'Create/replace indexes by name and drop indexes; records a new index version. body: indexesToAddOrUpdate [{ name, fields: { field: 1|-1 }, unique, sparse }], indexesToRemove [names].',
    inputSchema: objectSchema({ tableId, body: objectSchema({ indexesToAddOrUpdate: { type: 'array', items: index }, indexesToRemove: names }) }, ['tableId', 'body']),
    scope: 'table:update',
    run: (ctx, _p, args) => ops(ctx).manageIndexes(String(args.tableId), args.body as Record<string, unknown>),
  },
  {
    name: 'backend_schema_version_list',
    description: 'List the schema versions of a table (newest first), with the current one marked.',
    inputSchema: objectSchema({ tableId, page, limit }, ['tableId']),
    scope: 'table:read',
    run: (ctx, _p, args) => ops(ctx).schemaVersions(String(args.tableId), Number(args.page ?? 1), Number(args.limit ?? 20)),
  },
  {
    name: 'backend_index_version_list',
    description: 'List the index versions of a table (newest first), with the current one marked.',
    inputSchema: objectSchema({ tableId, page, limit }, ['tableId']),
    scope: 'table:read',
    run: (ctx, _p, args) => ops(ctx).indexVersions(String(args.tableId), Number(args.page ?? 1), Number(args.limit ?? 20)),
  },
];
