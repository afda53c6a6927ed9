import type { Requester } from '../rls/requester.js';
import type { FieldSchema, TableDefinition } from '../tables/definition.js';
import { openTable } from './access.js';
import type { DataContext } from './records.js';

/** §7.9: admin, or any group holding `read` on the table (D-21), guests included. */
export async function tableSpec(ctx: DataContext, requester: Requester, tableName: string) {
  const { table } = await openTable(ctx, requester, tableName, 'read');
  const spec: { tableName: string; schema: object; indexes: object[]; permissions: object } & Record<string, unknown> = {
    tableName: table.name,
    schema: table.schema,
    indexes: table.indexes.map((index) => ({ key: index.fields, name: index.name, unique: index.unique, sparse: index.sparse })),
    permissions: table.policy.permissions ?? {},
  };
  // The other policy parts describe who can see what; only admin gets them (§7.9).
  if (requester.group === 'admin') {
    spec.expressionPermissions = table.policy.expressionPermissions ?? {};
    spec.columnPermissions = table.policy.columnPermissions ?? {};
    spec.rowFilters = table.policy.rowFilters ?? [];
  }
  return spec;
}

/** §7.10: an OpenAPI 3.0.0 document generated from the current schema on every request. */
export async function tableOpenApi(ctx: DataContext, requester: Requester, tableName: string, serverUrl: string) {
  const { table } = await openTable(ctx, requester, tableName, 'read');
  return openApiDocument(table, serverUrl);
}

function fieldSchema(field: FieldSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  switch (field.bsonType) {
    case 'string':
      out.type = 'string';
      break;
    case 'int':
      out.type = 'integer';
      break;
    case 'double':
      out.type = 'number';
      break;
    case 'bool':
      out.type = 'boolean';
      break;
    case 'date':
      out.type = 'string';
      out.format = 'date-time';
      break;
    case 'object':
      out.type = 'object';
      if (field.properties) out.properties = Object.fromEntries(Object.entries(field.properties).map(([k, v]) => [k, fieldSchema(v)]));
      if (field.required?.length) out.required = field.required;
      break;
    case 'array':
      out.type = 'array';
      out.items = field.items ? fieldSchema(field.items) : {};
      break;
  }
  for (const key of ['description', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'enum', 'default'] as const) {
    if (field[key] !== undefined) out[key] = field[key];
  }
  out.nullable = true;
  return out;
}

export function openApiDocument(table: TableDefinition, serverUrl: string) {
  const name = table.name;
  const input = {
    type: 'object',
    properties: Object.fromEntries(Object.entries(table.schema.properties).map(([k, v]) => [k, fieldSchema(v)])),
    required: table.schema.required.length > 0 ? table.schema.required : undefined,
    additionalProperties: true,
  };
  const record = {
    allOf: [
      {
        type: 'object',
        properties: {
          id: { type: 'string' },
          createdBy: { type: 'string' },
          createdAt: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time' },
        },
        required: ['id', 'createdBy', 'createdAt', 'updatedAt'],
      },
      { $ref: `#/components/schemas/${name}Input` },
    ],
  };
  const error = { $ref: '#/components/schemas/Error' };
  const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), { description: 'Error', content: { 'application/json': { schema: error } } }]));
  const json = (schema: unknown) => ({ 'application/json': { schema } });
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const listParams = [
    ['page', 'integer'],
    ['limit', 'integer'],
    ['sortBy', 'string'],
    ['sortDirection', 'string'],
    ['search', 'string'],
    ['searchType', 'string'],
    ['andFilters', 'string'],
    ['orFilters', 'string'],
    ['select', 'string'],
  ].map(([param, type]) => ({ name: param, in: 'query', required: false, schema: { type } }));
  return {
    openapi: '3.0.0',
    info: { title: `${name} API`, version: '1.0.0', description: table.description ?? `Data API for the ${name} table (row level security applies)` },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
      schemas: {
        [`${name}Input`]: input,
        [name]: record,
        Error: {
          type: 'object',
          properties: {
            success: { type: 'boolean' },
            statusCode: { type: 'integer' },
            code: { type: 'string' },
            message: { type: 'string' },
            error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } } },
          },
        },
      },
    },
    security: [{ apiKey: [] }, { apiKey: [], bearer: [] }],
    paths: {
      [`/v1/data/${name}`]: {
        get: {
          summary: `List ${name}`,
          parameters: listParams,
          responses: {
            '200': {
              description: 'A page of records',
              content: json({
                type: 'object',
                properties: {
                  items: { type: 'array', items: { $ref: `#/components/schemas/${name}` } },
                  pagination: {
                    type: 'object',
                    properties: Object.fromEntries(['page', 'limit', 'total', 'totalPages'].map((k) => [k, { type: 'integer' }]).concat([['hasNext', { type: 'boolean' }], ['hasPrev', { type: 'boolean' }]] as never)),
                  },
                },
              }),
            },
            ...errors(400, 401, 403, 404, 429),
          },
        },
        post: {
          summary: `Create a ${name} record (or a batch of 1–100)`,
          requestBody: { required: true, content: json({ oneOf: [{ $ref: `#/components/schemas/${name}Input` }, { type: 'array', items: { $ref: `#/components/schemas/${name}Input` }, minItems: 1, maxItems: 100 }] }) },
          responses: { '201': { description: 'Created', content: json({ $ref: `#/components/schemas/${name}` }) }, ...errors(400, 401, 403, 404, 409, 429) },
        },
      },
      [`/v1/data/${name}/{id}`]: {
        get: { summary: `Read a ${name} record`, parameters: [idParam], responses: { '200': { description: 'The record', content: json({ $ref: `#/components/schemas/${name}` }) }, ...errors(401, 403, 404, 429) } },
        patch: {
          summary: `Update a ${name} record (partial)`,
          parameters: [idParam],
          requestBody: { required: true, content: json({ $ref: `#/components/schemas/${name}Input` }) },
          responses: { '200': { description: 'The updated record', content: json({ $ref: `#/components/schemas/${name}` }) }, ...errors(400, 401, 403, 404, 409, 429) },
        },
        delete: {
          summary: `Delete a ${name} record`,
          parameters: [idParam],
          responses: { '200': { description: 'Deleted', content: json({ type: 'object', properties: { success: { type: 'boolean' } } }) }, ...errors(401, 403, 404, 429) },
        },
      },
    },
  };
}
