import { listKeys } from '../api-keys/api-keys.js';
import type { AppContext } from '../context.js';
import { pagination } from '../http/schemas.js';
import { getEnvironment, getOrganization, getProject, SINGLE_ENVIRONMENT_MESSAGE, updateProject } from './implicit-project.js';
import { IMPLICIT_ID } from './principal.js';
import { objectSchema, type ToolDef } from './tool-registry.js';
import { ToolError } from './tool-error.js';

/** Organization, project, environment and access-token tools (mcp.md §4.5) over the implicit ones. */
export function listOf<T>(items: T[]) {
  return { items, pagination: pagination(1, Math.max(items.length, 20), items.length) };
}

function only<T>(id: unknown, what: string, value: () => Promise<T>): Promise<T> {
  if (id !== IMPLICIT_ID) throw new ToolError('NOT_FOUND', `${what} not found: this Latch has one, with id "${IMPLICIT_ID}"`);
  return value();
}

/** M-19: keys are stored hash-only, so neither tool can return a value: a masked prefix only. */
export async function listAccessTokens(ctx: AppContext) {
  return (await listKeys(ctx)).map((key) => ({
    id: key.id,
    name: key.name,
    type: key.type,
    prefix: `${key.prefix}…`,
    environment: IMPLICIT_ID,
    scopes: key.scopes,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
  }));
}

export async function getAccessToken(ctx: AppContext, id: unknown) {
  const found = (await listAccessTokens(ctx)).find((key) => key.id === id);
  if (!found) throw new ToolError('NOT_FOUND', 'Resource not found');
  return found;
}

const str = { type: 'string', maxLength: 256 };

export const projectTools: ToolDef[] = [
  {
    name: 'backend_org_list',
    description: 'List the organizations this token can see (a Latch deployment has one, id "default").',
    inputSchema: objectSchema({}),
    scope: 'organization:read',
    run: async (ctx) => listOf([await getOrganization(ctx)]),
  },
  {
    name: 'backend_org_get',
    description: 'Get one organization by id.',
    inputSchema: objectSchema({ organizationId: str }, ['organizationId']),
    scope: 'organization:read',
    run: (ctx, _p, args) => only(args.organizationId, 'Organization', () => getOrganization(ctx)),
  },
  {
    name: 'backend_project_list',
    description: 'List projects with their settings and environment count (one project, id "default"). Optional filter: organizationId.',
    inputSchema: objectSchema({ organizationId: str }),
    scope: 'project:read',
    run: async (ctx, _p, args) => listOf(args.organizationId === undefined || args.organizationId === IMPLICIT_ID ? [await getProject(ctx)] : []),
  },
  {
    name: 'backend_project_get',
    description: 'Get one project by id.',
    inputSchema: objectSchema({ projectId: str }, ['projectId']),
    scope: 'project:read',
    run: (ctx, _p, args) => only(args.projectId, 'Project', () => getProject(ctx)),
  },
  {
    name: 'backend_project_create',
    description: 'Create a project. A Latch deployment is one project with one environment, so this answers a CONFLICT tool error: run another Latch instead.',
    inputSchema: objectSchema(
      {
        body: objectSchema(
          { organizationId: str, slug: str, name: str, primaryCloud: { type: 'string', enum: ['aws', 'gcp', 'azu'] }, primaryRegion: str, description: { type: 'string', maxLength: 2000 } },
          ['organizationId', 'slug', 'name', 'primaryCloud', 'primaryRegion'],
        ),
      },
      ['body'],
    ),
    scope: 'project:create',
    run: async () => {
      throw new ToolError('CONFLICT', SINGLE_ENVIRONMENT_MESSAGE);
    },
  },
  {
    name: 'backend_project_update',
    description: "Update the project's name, slug, description or settings (labels only).",
    inputSchema: objectSchema(
      {
        projectId: str,
        body: objectSchema({
          name: { type: 'string', minLength: 1, maxLength: 100 },
          slug: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
          description: { type: ['string', 'null'], maxLength: 2000 },
          settings: { type: 'object' },
        }),
      },
      ['projectId'],
    ),
    scope: 'project:update',
    run: (ctx, _p, args) => only(args.projectId, 'Project', () => updateProject(ctx, (args.body ?? {}) as never)),
  },
  {
    name: 'backend_env_list',
    description: 'List environments with their deployment status (one environment, id "default"). Optional filter: projectId.',
    inputSchema: objectSchema({ projectId: str }),
    scope: 'environment:read',
    run: async (ctx, _p, args) => listOf(args.projectId === undefined || args.projectId === IMPLICIT_ID ? [await getEnvironment(ctx)] : []),
  },
  {
    name: 'backend_env_get',
    description: 'Get one environment by id.',
    inputSchema: objectSchema({ environmentId: str }, ['environmentId']),
    scope: 'environment:read',
    run: (ctx, _p, args) => only(args.environmentId, 'Environment', () => getEnvironment(ctx)),
  },
  {
    name: 'backend_env_create',
    description: 'Create an environment. Each Latch deployment is one environment, so this answers a CONFLICT tool error: run another Latch (own database, keys and users) for staging or prod.',
    inputSchema: objectSchema(
      { body: objectSchema({ projectId: str, environment: str, environmentType: { type: 'string', enum: ['dev', 'staging', 'prod', 'custom'] } }, ['projectId', 'environment', 'environmentType']) },
      ['body'],
    ),
    scope: 'environment:create',
    run: async () => {
      throw new ToolError('CONFLICT', SINGLE_ENVIRONMENT_MESSAGE);
    },
  },
  {
    name: 'backend_access_token_list',
    description: "List the deployment's API keys (id, name, type, masked prefix, scopes, dates). Key values are never returned: ask the user for the publishable key.",
    inputSchema: objectSchema({}),
    scope: 'access-token:read',
    run: async (ctx) => listOf(await listAccessTokens(ctx)),
  },
  {
    name: 'backend_access_token_get',
    description: 'Get one API key\'s metadata by id (never its value).',
    inputSchema: objectSchema({ accessTokenId: str }, ['accessTokenId']),
    scope: 'access-token:read',
    run: (ctx, _p, args) => getAccessToken(ctx, args.accessTokenId),
  },
];
