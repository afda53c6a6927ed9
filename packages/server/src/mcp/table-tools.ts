import type { AppContext } from '../context.js';
import {
  createTable,
  getTable,
  listIndexVersions,
  listSchemaVersions,
  listTables,
  manageFields,
  manageIndexes,
  updateTable,
} from '../tables/service.js';
import type { McpPrincipal } from './principal.js';
import { listOf } from './project-tools.js';
import { objectSchema, type ToolDef } from './tool-registry.js';

/**
 * Table, field, index and version tools (mcp.md §4.6) over the service layer that also serves
 * `/v1/admin/tables` and `latch tables apply` (decisions.md §4): one implementation, one set of rules.
 */

/** Who changed a table, recorded on schema/index versions (as the REST routes record the admin or key). */
function actorOf(principal: McpPrincipal): string {
  if (principal.kind === 'oauth') return principal.userId;
  if (principal.kind === 'secret-key') return `key:${principal.keyId}`;
  return `mcp:${principal.kind}`;
}

export function tableResourceReaders(ctx: AppContext) {
  return {
    list: async () => listOf(await listTables(ctx)),
    get: (id: string) => getTable(ctx, id),
    schemaVersions: (id: string) => listSchemaVersions(ctx, id, 1, 100),
    indexVersions: (id: string) => listIndexVersions(ctx, id, 1, 100),
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
    run: async (ctx) => listOf(await listTables(ctx)),
  },
  {
    name: 'backend_table_get',
    description: 'Get one table (by id or name) with its full schema, indexes, policies and row count.',
    inputSchema: objectSchema({ tableId }, ['tableId']),
    scope: 'table:read',
    run: (ctx, _p, args) => getTable(ctx, String(args.tableId)),
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
    run: (ctx, principal, args) => {
      // projectId/environment name the implicit ones (decisions.md §1); the REST body has neither.
      const { projectId: _project, environment: _environment, ...body } = args.body as Record<string, unknown>;
      return createTable(ctx, body as { tableName: string }, actorOf(principal));
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
    run: (ctx, principal, args) => updateTable(ctx, String(args.tableId), (args.body ?? {}) as Record<string, unknown>, actorOf(principal)),
  },
  {
    name: 'backend_field_manage',
    description: 'Add, update or remove fields and required flags; records a new schema version. body: fieldsToAddOrUpdate { name: { bsonType, ... } }, fieldsToRemove [], requiredFieldsToAdd [], requiredFieldsToRemove [].',
    inputSchema: objectSchema(
      { tableId, body: objectSchema({ fieldsToAddOrUpdate: fieldMap, fieldsToRemove: names, requiredFieldsToAdd: names, requiredFieldsToRemove: names }) },
      ['tableId', 'body'],
    ),
    scope: 'table:update',
    run: (ctx, principal, args) => manageFields(ctx, String(args.tableId), args.body as Record<string, unknown>, actorOf(principal)),
  },
  {
    name: 'backend_index_manage',
    description: 'Create/replace indexes by name and drop indexes; records a new index version. body: indexesToAddOrUpdate [{ name, fields: { field: 1|-1 }, unique, sparse }], indexesToRemove [names].',
    inputSchema: objectSchema({ tableId, body: objectSchema({ indexesToAddOrUpdate: { type: 'array', items: index }, indexesToRemove: names }) }, ['tableId', 'body']),
    scope: 'table:update',
    run: (ctx, principal, args) => manageIndexes(ctx, String(args.tableId), args.body as Record<string, unknown>, actorOf(principal)),
  },
  {
    name: 'backend_schema_version_list',
    description: 'List the schema versions of a table (newest first), with the current one marked.',
    inputSchema: objectSchema({ tableId, page, limit }, ['tableId']),
    scope: 'table:read',
    run: (ctx, _p, args) => listSchemaVersions(ctx, String(args.tableId), Number(args.page ?? 1), Number(args.limit ?? 20)),
  },
  {
    name: 'backend_index_version_list',
    description: 'List the index versions of a table (newest first), with the current one marked.',
    inputSchema: objectSchema({ tableId, page, limit }, ['tableId']),
    scope: 'table:read',
    run: (ctx, _p, args) => listIndexVersions(ctx, String(args.tableId), Number(args.page ?? 1), Number(args.limit ?? 20)),
  },
];
