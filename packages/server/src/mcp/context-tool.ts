import type { AppContext } from '../context.js';
import { getEnvironment, getOrganization, getProject } from './implicit-project.js';
import type { McpPrincipal } from './principal.js';

/**
 * get_context (mcp.md §4.3): the session bootstrap, Markdown first with the earlier machine-readable
 * shape appended as a JSON block (M-4). REST and MCP share a host here, so the text separates the
 * `/v1/...` paths app code calls from the `/mcp` endpoint only AI tools use.
 */
export async function renderContext(ctx: AppContext, principal: McpPrincipal): Promise<string> {
  const base = ctx.config.publicUrl;
  const [organization, project, environment] = await Promise.all([getOrganization(ctx), getProject(ctx), getEnvironment(ctx)]);
  const who =
    principal.kind === 'oauth' ? `an admin user (id \`${principal.userId}\`) through OAuth client \`${principal.clientId}\``
    : principal.kind === 'secret-key' ? 'the secret API key'
    : principal.kind === 'operator' ? 'the local operator (stdio)'
    : 'an anonymous caller (docs only)';
  const json = {
    organization: { id: organization.id, name: organization.name },
    projects: [{ id: project.id, name: project.name, environments: [{ id: environment.id, name: environment.name, status: environment.status }] }],
    apiEndpoint: base,
    mcpEndpoint: `${base}/mcp`,
    scopes: principal.scopes,
    warnings: deploymentWarnings(ctx),
  };
  return `# Latch context

## Your Session

- Organization ID: \`${organization.id}\` (${organization.name}); this Latch is one project with one environment.
- Project ID: \`${project.id}\`; environment: \`${environment.name}\` (id \`${environment.id}\`).
- REST API base URL for app code: **${base}**
- Connected as ${who}; scopes: ${principal.scopes.length ? principal.scopes.map((s) => `\`${s}\``).join(', ') : 'none (docs tools only)'}.

## API Domains

| Purpose | URL | Used in |
| --- | --- | --- |
| REST API (auth, users, data) | \`${base}/v1/...\` | app code: fetch / axios / any HTTP client |
| MCP server | \`${base}/mcp\` | AI-tool configuration only |

Generated app code must never call \`${base}/mcp\`: it calls the \`/v1/...\` REST paths. The two share a host on a
self-hosted Latch, so tell them apart by path.

## Resource Hierarchy

Organization → Project → Environment → Table.

- Organization id: from this output (\`${organization.id}\`).
- Project id: \`backend_project_list\` (optional \`organizationId\`).
- Environment: \`backend_env_list\` (optional \`projectId\`).
- Tables: \`backend_table_list\` (optional \`projectId\`, \`environment\`).

Another environment (staging, prod) is another Latch deployment with its own URL, keys and users.

## Guidelines

- Call \`search_docs\` before writing REST code (e.g. "email signup", "refresh token", "row level security",
  "auth code examples"); copy the request and response shapes from the guides.
- Headers: \`X-API-Key: <publishable key>\` on every \`/v1\` request from app code; add
  \`Authorization: Bearer <accessToken>\` for calls made as a signed-in user. The secret key (\`sk_…\`) is for
  servers only, never for browser or mobile code.
- Ids are in \`id\` (never \`_id\`); timestamps are ISO 8601 strings; lists are \`{ items, pagination }\`.
- Errors are \`{ success: false, statusCode, code, message, error: { code, message, details? } }\`; branch on
  \`error.code\` (e.g. \`auth/token-expired\` → refresh once and retry).
- Key values are never returned by MCP (\`backend_access_token_*\` show a masked prefix): ask the user to paste the
  publishable key into the app's configuration.
- There are no MCP tools for signing users in or for row CRUD: app code does that over REST.
${json.warnings.map((w) => `- Warning: ${w}`).join('\n')}

\`\`\`json
${JSON.stringify(json, null, 2)}
\`\`\`
`;
}

/** Facts an agent should mention when it wires an app to this deployment. */
function deploymentWarnings(ctx: AppContext): string[] {
  const warnings: string[] = [];
  const url = new URL(ctx.config.publicUrl);
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !local) warnings.push(`LATCH_PUBLIC_URL (${ctx.config.publicUrl}) is not https: tokens would travel in clear text`);
  if (!ctx.config.smtpUrl) warnings.push('no SMTP server configured: verification, reset and magic-link mails go to the dev outbox (GET /v1/admin/outbox with the secret key)');
  if (!ctx.config.requireApiKey) warnings.push('LATCH_REQUIRE_API_KEY=false: requests without X-API-Key act as the publishable key');
  return warnings;
}
