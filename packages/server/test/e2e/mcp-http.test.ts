import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { dialects } from '../helpers/databases.js';
import { signUp } from '../helpers/factories.js';
import { TEST_PK, TEST_SK } from '../helpers/test-app.js';
import type { TestServer } from '../helpers/test-server.js';
import { connectHttpClient, postMcp, startMcpServer, toolText } from './mcp-support.js';

const ALL_TOOLS = [
  'get_context', 'search_docs',
  'backend_org_list', 'backend_org_get',
  'backend_project_list', 'backend_project_get', 'backend_project_create', 'backend_project_update',
  'backend_env_list', 'backend_env_get', 'backend_env_create',
  'backend_access_token_list', 'backend_access_token_get',
  'backend_table_list', 'backend_table_get', 'backend_table_create', 'backend_table_update',
  'backend_field_manage', 'backend_index_manage',
  'backend_schema_version_list', 'backend_index_version_list',
];

describe.each(dialects)('MCP over Streamable HTTP (%s)', (dialect) => {
  let server: TestServer;
  let client: Client;

  beforeAll(async () => {
    server = await startMcpServer(dialect);
    client = await connectHttpClient(server, TEST_SK);
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('negotiates the protocol version the SDK client asks for and lists all 21 tools', async () => {
    expect(client.getServerVersion()?.name).toBe('latch');
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {} });
    expect(client.getInstructions()).toMatch(/get_context first/);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...ALL_TOOLS].sort());
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect((tool.inputSchema as { additionalProperties?: boolean }).additionalProperties).toBe(false);
    }
  });

  it('get_context names the REST base URL and separates it from /mcp', async () => {
    const text = toolText(await client.callTool({ name: 'get_context', arguments: {} }));
    expect(text).toContain('## Your Session');
    expect(text).toContain('## API Domains');
    expect(text).toContain('## Resource Hierarchy');
    expect(text).toContain('## Guidelines');
    expect(text).toContain(`REST API base URL for app code: **${server.url}**`);
    const json = JSON.parse(/```json\n([\s\S]+?)\n```/.exec(text)![1]);
    expect(json).toMatchObject({ organization: { id: 'default' }, apiEndpoint: server.url, projects: [{ id: 'default', environments: [{ id: 'default' }] }] });
    // No SMTP in tests: the agent is told where mails go.
    expect(json.warnings).toEqual([expect.stringContaining('dev outbox')]);
    expect(text).toContain('- Warning: no SMTP server configured');
  });

  it('search_docs returns Markdown with the required heading; a doc ID returns that guide', async () => {
    const text = toolText(await client.callTool({ name: 'search_docs', arguments: { query: 'email signup' } }));
    expect(text.startsWith('## Search Results for "email signup"')).toBe(true);
    expect(text).toContain('Doc ID: `3_howto_implement_auth`');
    const exact = toolText(await client.callTool({ name: 'search_docs', arguments: { query: '6_code_examples_auth' } }));
    expect(exact).toContain('Doc ID: `6_code_examples_auth`');
    expect(exact.length).toBeLessThanOrEqual(16_000);
  });

  it('organization, project, environment and access-token tools report the implicit ones', async () => {
    const json = async (name: string, args: Record<string, unknown> = {}) => JSON.parse(toolText(await client.callTool({ name, arguments: args })));
    expect((await json('backend_org_list')).items).toEqual([expect.objectContaining({ id: 'default' })]);
    expect(await json('backend_org_get', { organizationId: 'default' })).toMatchObject({ id: 'default' });
    expect((await json('backend_project_list', { organizationId: 'default' })).items).toEqual([expect.objectContaining({ id: 'default', environmentCount: 1 })]);
    expect(await json('backend_project_get', { projectId: 'default' })).toMatchObject({ id: 'default', organizationId: 'default' });
    expect(await json('backend_project_update', { projectId: 'default', body: { name: 'Acme auth', description: 'prod users' } })).toMatchObject({ name: 'Acme auth', description: 'prod users' });
    expect((await json('backend_env_list')).items).toEqual([expect.objectContaining({ id: 'default', status: 'deployed', apiEndpoint: server.url })]);
    expect(await json('backend_env_get', { environmentId: 'default' })).toMatchObject({ id: 'default', projectId: 'default' });
    const keys = (await json('backend_access_token_list')).items as Array<Record<string, unknown>>;
    expect(keys.map((k) => k.type).sort()).toEqual(['publishable', 'secret']);
    const text = JSON.stringify(keys);
    expect(text).not.toContain(TEST_PK);
    expect(text).not.toContain(TEST_SK);
    expect(await json('backend_access_token_get', { accessTokenId: keys[0].id })).toMatchObject({ id: keys[0].id, prefix: expect.stringMatching(/…$/) });
  });

  it.each([
    ['backend_project_create', { body: { organizationId: 'default', slug: 'two', name: 'Two', primaryCloud: 'aws', primaryRegion: 'eu-west-1' } }, 'CONFLICT'],
    ['backend_env_create', { body: { projectId: 'default', environment: 'staging', environmentType: 'staging' } }, 'CONFLICT'],
    ['backend_org_get', { organizationId: 'other' }, 'NOT_FOUND'],
    ['backend_project_get', { projectId: 'other' }, 'NOT_FOUND'],
    ['backend_env_get', { environmentId: 'nope' }, 'NOT_FOUND'],
    ['backend_access_token_get', { accessTokenId: 'nope' }, 'NOT_FOUND'],
  ])('%s reports tool error %s', async (name, args, code) => {
    const result = await client.callTool({ name, arguments: args });
    expect(result.isError).toBe(true);
    expect(JSON.parse(toolText(result)).error.code).toBe(code);
  });

  it('table tools create, change and version a table through the /v1/admin/tables service', async () => {
    const json = async (name: string, args: Record<string, unknown> = {}) => {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError, toolText(result)).toBeFalsy();
      return JSON.parse(toolText(result));
    };
    const created = await json('backend_table_create', {
      body: { projectId: 'default', environment: 'dev', tableName: 'notes', displayName: 'Notes', schema: { title: { bsonType: 'string' }, pinned: { bsonType: 'bool' } } },
    });
    expect(created).toMatchObject({ tableName: 'notes', displayName: 'Notes', documentCount: 0 });
    expect(await json('backend_table_get', { tableId: created.id })).toMatchObject({ id: created.id, tableName: 'notes' });
    const updated = await json('backend_table_update', { tableId: 'notes', body: { description: 'private notes', permissions: { user: { create: true }, self: { read: true, update: true } } } });
    expect(updated).toMatchObject({ description: 'private notes', permissions: { self: { read: true, update: true } } });
    const fields = await json('backend_field_manage', { tableId: 'notes', body: { fieldsToAddOrUpdate: { body: { bsonType: 'string' } }, requiredFieldsToAdd: ['title'] } });
    expect(fields.schema.properties.body).toMatchObject({ bsonType: 'string' });
    expect(fields.schema.required).toEqual(['title']);
    const indexed = await json('backend_index_manage', { tableId: 'notes', body: { indexesToAddOrUpdate: [{ name: 'by_title', fields: { title: 1 }, unique: true }] } });
    expect(indexed.indexes).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'by_title', unique: true })]));
    const schemaVersions = await json('backend_schema_version_list', { tableId: 'notes' });
    expect(schemaVersions.items.length).toBeGreaterThanOrEqual(2);
    expect(schemaVersions.items.filter((v: { current: boolean }) => v.current)).toHaveLength(1);
    expect((await json('backend_index_version_list', { tableId: 'notes', page: 1, limit: 10 })).items.length).toBeGreaterThanOrEqual(1);
    expect((await json('backend_table_list', { projectId: 'default', environment: 'dev' })).items.map((t: { tableName: string }) => t.tableName)).toContain('notes');
    const resource = await client.readResource({ uri: `bkend://tables/${created.id}` });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ tableName: 'notes' });
    const versions = await client.readResource({ uri: 'bkend://tables/notes/schema/versions' });
    expect(JSON.parse((versions.contents[0] as { text: string }).text).items.length).toBeGreaterThanOrEqual(2);
    await expect(client.readResource({ uri: 'bkend://tables/missing' })).rejects.toMatchObject({ code: -32002 });
    // The same table is visible over REST: one service layer.
    const rest = await server.call('GET', '/v1/admin/tables/notes', { key: TEST_SK });
    expect(rest.body).toMatchObject({ id: created.id, description: 'private notes' });
  });

  it.each([
    ['backend_table_get', { tableId: 'missing' }, 'NOT_FOUND'],
    ['backend_table_create', { body: { projectId: 'default', environment: 'dev', tableName: '9bad', schema: {} } }, 'VALIDATION_ERROR'],
    ['backend_table_update', { tableId: 'missing', body: { displayName: 'x' } }, 'NOT_FOUND'],
  ])('%s reports tool error %s', async (name, args, code) => {
    const result = await client.callTool({ name, arguments: args });
    expect(result.isError).toBe(true);
    expect(JSON.parse(toolText(result)).error.code).toBe(code);
  });

  it('creating a table twice is a CONFLICT tool error', async () => {
    const body = { projectId: 'default', environment: 'dev', tableName: 'twice', schema: { a: { bsonType: 'string' } } };
    expect((await client.callTool({ name: 'backend_table_create', arguments: { body } })).isError).toBeFalsy();
    const again = await client.callTool({ name: 'backend_table_create', arguments: { body } });
    expect(JSON.parse(toolText(again)).error.code).toBe('CONFLICT');
  });

  it.each([
    ['unknown tool', 'no_such_tool', {}],
    ['empty query', 'search_docs', { query: '   ' }],
    ['missing query', 'search_docs', {}],
    ['unknown property', 'search_docs', { query: 'x', limit: 3 }],
    ['wrong type', 'backend_org_get', { organizationId: 7 }],
  ])('%s is JSON-RPC -32602', async (_case, name, args) => {
    await expect(client.callTool({ name, arguments: args })).rejects.toMatchObject({ code: -32602 });
  });

  it('resources mirror the list/get tools; an unknown URI is -32002', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['bkend://organizations', 'bkend://projects', 'bkend://environments', 'bkend://tables', 'bkend://access-tokens']));
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((r) => r.uriTemplate)).toContain('bkend://tables/{tableId}/schema/versions');
    const read = await client.readResource({ uri: 'bkend://projects/default' });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ id: 'default' });
    const list = await client.readResource({ uri: 'bkend://environments' });
    expect(JSON.parse((list.contents[0] as { text: string }).text).items).toHaveLength(1);
    await expect(client.readResource({ uri: 'bkend://projects/nope' })).rejects.toMatchObject({ code: -32002 });
    await expect(client.readResource({ uri: 'bkend://nothing' })).rejects.toMatchObject({ code: -32002 });
  });

  it.each(['bkend://tables/%E0%A4%A', 'bkend://tables/%ZZ/schema/versions', 'bkend://access-tokens/%', 'bkend://projects/%C0%80'])(
    'a malformed percent-escape in %s is -32002, not an internal error (mcp.md §5)',
    async (uri) => {
      const res = await postMcp(server, { jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri } }, { authorization: `Bearer ${TEST_SK}` });
      expect(res.status).toBe(200);
      expect(res.body.error).toMatchObject({ code: -32002, message: expect.stringContaining(`Resource not found: ${uri}`) });
    },
  );

  it.each([
    ['no token', {}, 'auth/unauthorized'],
    ['publishable key', { authorization: `Bearer ${TEST_PK}` }, 'auth/invalid-token'],
    ['garbage token', { authorization: 'Bearer not.a.jwt' }, 'auth/invalid-token'],
    ['token in the query string only', {}, 'auth/unauthorized', `?access_token=${TEST_SK}`],
  ])('HTTP 401 with WWW-Authenticate: %s', async (_case, headers, code, query = '') => {
    const res = await postMcp(server, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, headers, query);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(code);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${server.url}/.well-known/oauth-protected-resource"${'authorization' in headers ? ', error="invalid_token"' : ''}`,
    );
  });

  it('refuses a /v1 access token on /mcp, and the secret key is not a /v1 user token', async () => {
    const t = { request: (m: string, u: string, o: any = {}) => server.call(m, u, o).then((r) => ({ status: r.status, body: r.body })) };
    const user = await signUp(t as never);
    const res = await postMcp(server, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: `Bearer ${user.accessToken}` });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('auth/invalid-token');
  });

  it.each(['2025-03-26', '2025-06-18'])('initialize echoes the protocol version %s the client asks for', async (version) => {
    const res = await postMcp(server, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }, { authorization: `Bearer ${TEST_SK}` });
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ protocolVersion: version, serverInfo: { name: 'latch' }, capabilities: { tools: { listChanged: false }, resources: { subscribe: false, listChanged: false } } });
    expect(res.headers.get('mcp-session-id')).toBeNull(); // stateless (mcp.md §2.1)
  });

  it('answers the transport-level statuses of mcp.md §7.2', async () => {
    const auth = { authorization: `Bearer ${TEST_SK}` };
    const parse = await postMcp(server, '{not json', auth);
    expect(parse.status).toBe(400);
    expect(parse.body.error.code).toBe(-32700);
    const notification = await postMcp(server, { jsonrpc: '2.0', method: 'notifications/initialized' }, auth);
    expect(notification.status).toBe(202);
    const unknownMethod = await postMcp(server, { jsonrpc: '2.0', id: 9, method: 'no/such' }, auth);
    expect(unknownMethod.body.error.code).toBe(-32601);
    const batch = await postMcp(server, [{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }], auth);
    expect(batch.status).toBe(200);
    expect((batch.body as unknown[]).length).toBe(2);
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${server.url}/mcp`, { method, headers: auth });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toContain('POST');
      expect((await res.json()).error.code).toBe('common/method-not-allowed');
    }
    const foreign = await postMcp(server, { jsonrpc: '2.0', id: 1, method: 'ping' }, { ...auth, origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
  });

  it('serves the OAuth metadata documents', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/oauth-authorization-server/mcp']) {
      const res = await server.call('GET', path, { key: null });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        issuer: `${server.url}/mcp`,
        authorization_endpoint: `${server.url}/mcp/oauth/authorize`,
        token_endpoint: `${server.url}/mcp/oauth/token`,
        registration_endpoint: `${server.url}/mcp/oauth/register`,
        revocation_endpoint: `${server.url}/mcp/oauth/revoke`,
        code_challenge_methods_supported: ['S256'],
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['none'],
      });
    }
    const prm = await server.call('GET', '/.well-known/oauth-protected-resource', { key: null });
    expect(prm.body).toMatchObject({ resource: `${server.url}/mcp`, authorization_servers: [`${server.url}/mcp`], bearer_methods_supported: ['header'] });
    expect(prm.body.scopes_supported).toContain('table:data:read');
  });
});
