import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { AppContext } from '../context.js';
import { fixedTools } from './fixed-tools.js';
import type { McpPrincipal } from './principal.js';
import { projectTools } from './project-tools.js';
import { listResources, listResourceTemplates, readResource } from './resources.js';
import { hasScope } from './scopes.js';
import { tableTools } from './table-tools.js';
import { toolErrorResult, toToolError, ToolError } from './tool-error.js';
import { validateArgs, type ToolDef } from './tool-registry.js';

export const SERVER_VERSION = '0.1.0';

/** Every tool, the same on /mcp and stdio (mcp.md §4.1). */
export const TOOLS: ToolDef[] = [...fixedTools, ...projectTools, ...tableTools];
const BY_NAME = new Map(TOOLS.map((tool) => [tool.name, tool]));

// mcp.md §2.2 (M-6): the rule is stated, not enforced; the organization comes from the token.
const INSTRUCTIONS = `Latch is a self-hosted auth server with a bkend-compatible REST API.
Call get_context first in every session: it gives the REST base URL for app code and the rules for generated code.
Call search_docs before writing REST code (e.g. "email signup", "social login", "auth code examples", "row level security") and follow the request/response shapes it returns.
App code calls the /v1 REST paths with X-API-Key (and Authorization: Bearer for user calls); it never calls /mcp.`;

/**
 * One low-level MCP server per connection (stdio) or per request (stateless HTTP, mcp.md §2.1), bound to
 * its caller. Unknown tools and bad arguments are JSON-RPC -32602; a missing scope or a failed
 * operation is a tool result with isError (mcp.md §3.6, §7.3).
 */
export function buildMcpServer(ctx: AppContext, principal: McpPrincipal): Server {
  const server = new Server(
    { name: 'latch', version: SERVER_VERSION },
    { capabilities: { tools: { listChanged: false }, resources: { subscribe: false, listChanged: false } }, instructions: INSTRUCTIONS },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const tool = BY_NAME.get(request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const args = request.params.arguments ?? {};
    const problem = validateArgs(tool, args);
    if (problem) throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for ${tool.name}: ${problem}`);
    try {
      authorizeTool(principal, tool);
      const result = await tool.run(ctx, principal, args);
      const text = typeof result === 'string' ? result : JSON.stringify(result, null, 2);
      return { content: [{ type: 'text' as const, text }] };
    } catch (error) {
      const toolError = toToolError(error);
      if (toolError) return toolErrorResult(toolError);
      ctx.log.error({ err: error, tool: tool.name }, 'MCP tool failed');
      return toolErrorResult(new ToolError('INTERNAL', 'Internal error'));
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    requireSignedIn(principal);
    return { resources: listResources() };
  });
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => {
    requireSignedIn(principal);
    return { resourceTemplates: listResourceTemplates() };
  });
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    requireSignedIn(principal);
    return readResource(ctx, principal, request.params.uri);
  });
  return server;
}

function authorizeTool(principal: McpPrincipal, tool: ToolDef): void {
  if (tool.scope === null) return;
  if (principal.kind === 'anonymous') throw new ToolError('UNAUTHORIZED', `${tool.name} needs a token: sign in through OAuth or use the secret key`);
  if (!hasScope(principal.scopes, tool.scope)) throw new ToolError('FORBIDDEN', `${tool.name} needs scope ${tool.scope}`);
}

/** Resources mirror management data: never anonymous (mcp.md §3.7). -32001 is bkend's Unauthorized. */
function requireSignedIn(principal: McpPrincipal): void {
  if (principal.kind === 'anonymous') throw new McpError(-32001, 'Unauthorized: resources need a token');
}
