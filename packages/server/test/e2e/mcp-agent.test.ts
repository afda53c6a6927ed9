import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { dialects } from '../helpers/databases.js';
import { TEST_PK } from '../helpers/test-app.js';
import type { TestServer } from '../helpers/test-server.js';
import { parseExamples, runHttpExample, type HttpExample, type Vars } from './docs-runner.js';
import { connectHttpClient, startMcpServer, toolText } from './mcp-support.js';

/**
 * A scripted "agent" (mcp.md §8): from an empty app, it learns the base URL from get_context, finds the
 * auth guide with search_docs, and performs sign-up → sign-in → /me → refresh exactly as the guide's
 * examples show them. Nothing but tool output feeds the calls (plus the publishable key, which the user
 * pastes: MCP never returns key values).
 */
describe.each(dialects)('an agent builds email auth from search_docs alone (%s)', (dialect) => {
  let server: TestServer;
  let agent: Client;

  beforeAll(async () => {
    server = await startMcpServer(dialect, { env: { LATCH_MCP_ANONYMOUS_DOCS: 'true' } });
    agent = await connectHttpClient(server); // anonymous: docs tools only
  });
  afterAll(async () => {
    await agent?.close();
    await server?.close();
  });

  it('sign-up → sign-in → /me → refresh succeed exactly as the guide shows them', async () => {
    const context = toolText(await agent.callTool({ name: 'get_context', arguments: {} }));
    const baseUrl = /REST API base URL for app code: \*\*(\S+)\*\*/.exec(context)?.[1];
    expect(baseUrl).toBe(server.url);

    const found = toolText(await agent.callTool({ name: 'search_docs', arguments: { query: 'email signup' } }));
    const firstId = /Doc ID: `([0-9a-z_]+)`/.exec(found)?.[1];
    expect(firstId).toBe('3_howto_implement_auth');
    const guide = toolText(await agent.callTool({ name: 'search_docs', arguments: { query: firstId! } }));

    const examples = parseExamples(guide).filter((e): e is HttpExample => e.kind === 'http');
    const pick = (method: string, path: string, status: number) => {
      const example = examples.find((e) => e.method === method && e.path === path && e.response?.status === status);
      if (!example) throw new Error(`the guide shows no ${method} ${path} → ${status}`);
      return example;
    };
    const steps = [
      pick('POST', '/v1/auth/email/signup', 201),
      pick('POST', '/v1/auth/email/signin', 200),
      pick('GET', '/v1/auth/me', 200),
      pick('POST', '/v1/auth/refresh', 200),
    ];
    const vars: Vars = { publishableKey: TEST_PK };
    for (const step of steps) await runHttpExample({ url: baseUrl! }, step, vars);
    expect(vars.userId).toEqual(expect.any(String));
    expect(vars.newAccessToken).toEqual(expect.any(String));

    // The refreshed token works, the way the guide's token section says it should.
    const me = await server.call('GET', '/v1/auth/me', { token: vars.newAccessToken as string });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(vars.userId);
  });

  it('the examples query leads to the client code guide', async () => {
    const found = toolText(await agent.callTool({ name: 'search_docs', arguments: { query: 'auth code examples' } }));
    expect(/Doc ID: `([0-9a-z_]+)`/.exec(found)?.[1]).toBe('6_code_examples_auth');
    const social = toolText(await agent.callTool({ name: 'search_docs', arguments: { query: 'social login implementation' } }));
    expect(social).toMatch(/Doc ID: `(3_howto_implement_auth|6_code_examples_auth)`/);
  });

  it('anonymous callers get the docs tools only', async () => {
    const refused = await agent.callTool({ name: 'backend_org_list', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(JSON.parse(toolText(refused)).error.code).toBe('UNAUTHORIZED');
    await expect(agent.listResources()).rejects.toMatchObject({ code: -32001 });
  });
});
