import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { toolText } from './mcp-support.js';

/**
 * `npx latch mcp` as a user runs it: `node bin/latch.js mcp` on the built dist/ (a fresh clone builds it in
 * `npm ci` through `prepare`), driven by the official SDK client over stdio.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const stat = statSync(full);
    if (stat.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

/** Rebuild dist/ only when the CLI or MCP sources are newer than it (a working tree, not a fresh clone). */
function ensureBuilt(): void {
  const built = join(root, 'dist/cli/mcp.js');
  const stale = !existsSync(built) || ['src/mcp', 'src/cli'].some((dir) => newestMtime(join(root, dir)) > statSync(built).mtimeMs);
  if (!stale) return;
  console.info('[mcp-stdio] dist/ is older than src/mcp or src/cli: running the build');
  try {
    execFileSync(process.execPath, [join(root, '../../node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    // Type errors elsewhere still emit JavaScript; only a missing output is fatal.
    if (!existsSync(built)) throw error;
  }
}

describe.each(dialects)('MCP over stdio: npx latch mcp (%s)', (dialect) => {
  let database: TestDatabase;
  let dataDir: string;
  let client: Client;
  let stderr = '';

  beforeAll(async () => {
    ensureBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'latch-mcp-stdio-'));
    database = await createTestDatabase(dialect, { sqliteFile: join(dataDir, 'latch.db') });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(root, 'bin/latch.js'), 'mcp'],
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        LATCH_DATABASE_URL: database.url,
        LATCH_SECRET: 'stdio-test-secret-0123456789abcdef0123456789',
        LATCH_DATA_DIR: dataDir,
        LATCH_PUBLIC_URL: 'http://localhost:8080',
        LATCH_LOG_LEVEL: 'warn',
      },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk) => (stderr += String(chunk)));
    client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
  }, 180_000);

  afterAll(async () => {
    await client?.close();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the same 21 tools as /mcp, as the local operator', async () => {
    expect(client.getServerVersion()?.name).toBe('latch');
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(21);
    const context = toolText(await client.callTool({ name: 'get_context', arguments: {} }));
    expect(context).toContain('the local operator (stdio)');
    expect(context).toContain('REST API base URL for app code: **http://localhost:8080**');
    expect(stderr).toContain('MCP server on stdio');
  });

  it('calls every tool', async () => {
    const calls: Array<[string, Record<string, unknown>, boolean]> = [
      ['search_docs', { query: 'auth code examples' }, false],
      ['backend_org_list', {}, false],
      ['backend_org_get', { organizationId: 'default' }, false],
      ['backend_project_list', {}, false],
      ['backend_project_get', { projectId: 'default' }, false],
      ['backend_project_update', { projectId: 'default', body: { name: 'Stdio' } }, false],
      ['backend_project_create', { body: { organizationId: 'default', slug: 'x', name: 'X', primaryCloud: 'aws', primaryRegion: 'r' } }, true],
      ['backend_env_list', {}, false],
      ['backend_env_get', { environmentId: 'default' }, false],
      ['backend_env_create', { body: { projectId: 'default', environment: 'prod', environmentType: 'prod' } }, true],
      ['backend_access_token_list', {}, false],
      ['backend_access_token_get', { accessTokenId: 'missing' }, true],
      ['backend_table_create', { body: { projectId: 'default', environment: 'dev', tableName: 'stdio_items', schema: { name: { bsonType: 'string' } } } }, false],
      ['backend_table_list', {}, false],
      ['backend_table_get', { tableId: 'stdio_items' }, false],
      ['backend_table_update', { tableId: 'stdio_items', body: { displayName: 'Items' } }, false],
      ['backend_field_manage', { tableId: 'stdio_items', body: { fieldsToAddOrUpdate: { qty: { bsonType: 'int' } } } }, false],
      ['backend_index_manage', { tableId: 'stdio_items', body: { indexesToAddOrUpdate: [{ name: 'by_name', fields: { name: 1 } }] } }, false],
      ['backend_schema_version_list', { tableId: 'stdio_items' }, false],
      ['backend_index_version_list', { tableId: 'stdio_items' }, false],
    ];
    for (const [name, args, isError] of calls) {
      const result = await client.callTool({ name, arguments: args });
      expect(Boolean(result.isError), `${name}: ${toolText(result)}`).toBe(isError);
    }
    expect(toolText(await client.callTool({ name: 'search_docs', arguments: { query: 'auth code examples' } }))).toContain('Doc ID: `6_code_examples_auth`');
  });

  it('answers the documented JSON-RPC errors', async () => {
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    await expect(client.callTool({ name: 'search_docs', arguments: { query: '' } })).rejects.toMatchObject({ code: -32602 });
    await expect(client.readResource({ uri: 'bkend://tables/nope' })).rejects.toMatchObject({ code: -32002 });
    const resource = await client.readResource({ uri: 'bkend://tables/stdio_items' });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ tableName: 'stdio_items', displayName: 'Items' });
  });
});
