import type { AppContext } from '../../context.js';
import { SCOPES } from '../scopes.js';

/** Authorization server metadata (RFC 8414) with the fields of mcp.md §3.2; issuer has the path `/mcp`. */
export function issuerOf(ctx: AppContext): string {
  return `${ctx.config.publicUrl}/mcp`;
}

export function resourceOf(ctx: AppContext): string {
  return `${ctx.config.publicUrl}/mcp`;
}

export function protectedResourceMetadataUrl(ctx: AppContext): string {
  return `${ctx.config.publicUrl}/.well-known/oauth-protected-resource`;
}

export function authorizationServerMetadata(ctx: AppContext) {
  const base = ctx.config.publicUrl;
  return {
    issuer: issuerOf(ctx),
    authorization_endpoint: `${base}/mcp/oauth/authorize`,
    token_endpoint: `${base}/mcp/oauth/token`,
    registration_endpoint: `${base}/mcp/oauth/register`,
    revocation_endpoint: `${base}/mcp/oauth/revoke`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: [...SCOPES],
    authorization_response_iss_parameter_supported: true,
    service_documentation: `${base}/docs`,
  };
}

/** Protected resource metadata (RFC 9728), contents per mcp.md §3.2. */
export function protectedResourceMetadata(ctx: AppContext) {
  return {
    resource: resourceOf(ctx),
    authorization_servers: [issuerOf(ctx)],
    scopes_supported: [...SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: 'Latch MCP',
  };
}
