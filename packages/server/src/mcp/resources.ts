import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { AppContext } from '../context.js';
import { getEnvironment, getOrganization, getProject } from './implicit-project.js';
import type { McpPrincipal } from './principal.js';
import { IMPLICIT_ID } from './principal.js';
import { getAccessToken, listAccessTokens, listOf } from './project-tools.js';
import { hasScope } from './scopes.js';
import { tableResourceReaders } from './table-tools.js';
import { ToolError } from './tool-error.js';

/**
 * Read-only `bkend://` resources (mcp.md §5): the same data as the list/get tools, under the same
 * scopes. Reads are live (no cache), which satisfies the ≤ 60 s TTL of M-17 trivially.
 */
const FIXED = [
  { uri: 'bkend://organizations', name: 'Organization', description: 'Organizations list', scope: 'organization:read' },
  { uri: 'bkend://projects', name: 'Project', description: 'Projects list', scope: 'project:read' },
  { uri: 'bkend://environments', name: 'Environment', description: 'Environments list', scope: 'environment:read' },
  { uri: 'bkend://tables', name: 'Table', description: 'Tables list with schemas and row counts', scope: 'table:read' },
  { uri: 'bkend://access-tokens', name: 'Access token', description: 'API keys (metadata only, never values)', scope: 'access-token:read' },
];

const TEMPLATES = [
  { uriTemplate: 'bkend://organizations/{organizationId}', name: 'Organization by id' },
  { uriTemplate: 'bkend://projects/{projectId}', name: 'Project by id' },
  { uriTemplate: 'bkend://environments/{environmentId}', name: 'Environment by id' },
  { uriTemplate: 'bkend://tables/{tableId}', name: 'Table by id, including schema' },
  { uriTemplate: 'bkend://tables/{tableId}/schema/versions', name: 'Schema versions of a table' },
  { uriTemplate: 'bkend://tables/{tableId}/indexes/versions', name: 'Index versions of a table' },
  { uriTemplate: 'bkend://access-tokens/{accessTokenId}', name: 'Access token by id (no secret)' },
];

export function listResources() {
  return FIXED.map(({ uri, name, description }) => ({ uri, name, description, mimeType: 'application/json' }));
}

export function listResourceTemplates() {
  return TEMPLATES.map((t) => ({ ...t, mimeType: 'application/json' }));
}

const NOT_FOUND = -32002;

/** A malformed percent-escape names no resource: -32002 (mcp.md §5), not an internal error. */
function decodeId(rawId: string, uri: string): string {
  try {
    return decodeURIComponent(rawId);
  } catch {
    throw new McpError(NOT_FOUND, `Resource not found: ${uri}`);
  }
}

export async function readResource(ctx: AppContext, principal: McpPrincipal, uri: string) {
  const match = /^bkend:\/\/([a-z-]+)(?:\/([^/]+))?(?:\/(schema|indexes)\/versions)?$/.exec(uri);
  if (!match) throw new McpError(NOT_FOUND, `Resource not found: ${uri}`);
  const [, kind, rawId, versions] = match;
  const id = rawId === undefined ? undefined : decodeId(rawId, uri);
  const need = (scope: string) => {
    if (!hasScope(principal.scopes, scope)) throw new McpError(-32001, `Reading ${uri} needs scope ${scope}`);
  };
  const implicit = async <T>(value: () => Promise<T>) => {
    if (id !== IMPLICIT_ID) throw new McpError(NOT_FOUND, `Resource not found: ${uri}`);
    return value();
  };
  let data: unknown;
  try {
    switch (kind) {
      case 'organizations':
        need('organization:read');
        if (versions) throw new McpError(NOT_FOUND, `Resource not found: ${uri}`);
        data = id === undefined ? listOf([await getOrganization(ctx)]) : await implicit(() => getOrganization(ctx));
        break;
      case 'projects':
        need('project:read');
        if (versions) throw new McpError(NOT_FOUND, `Resource not found: ${uri}`);
        data = id === undefined ? listOf([await getProject(ctx)]) : await implicit(() => getProject(ctx));
        break;
      case 'environments':
        need('environment:read');
        if (versions) throw new McpError(NOT_FOUND, `Resource not found: ${uri}`);
        data = id === undefined ? listOf([await getEnvironment(ctx)]) : await implicit(() => getEnvironment(ctx));
        break;
      case 'access-tokens':
        need('access-token:read');
        if (versions) throw new McpError(NOT_FOUND, `Resource not found: ${uri}`);
        data = id === undefined ? listOf(await listAccessTokens(ctx)) : await getAccessToken(ctx, id);
        break;
      case 'tables': {
        need('table:read');
        const readers = tableResourceReaders(ctx);
        if (id === undefined) data = versions ? undefined : await readers.list();
        else if (versions === 'schema') data = await readers.schemaVersions(id);
        else if (versions === 'indexes') data = await readers.indexVersions(id);
        else data = await readers.get(id);
        if (data === undefined) throw new McpError(NOT_FOUND, `Resource not found: ${uri}`);
        break;
      }
      default:
        throw new McpError(NOT_FOUND, `Resource not found: ${uri}`);
    }
  } catch (error) {
    if (error instanceof McpError) throw error;
    if (error instanceof ToolError && error.code === 'NOT_FOUND') throw new McpError(NOT_FOUND, `Resource not found: ${uri}`);
    if (error instanceof Error && 'statusCode' in error && (error as { statusCode: number }).statusCode === 404) {
      throw new McpError(NOT_FOUND, `Resource not found: ${uri}`);
    }
    throw error;
  }
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(data, null, 2) }] };
}
