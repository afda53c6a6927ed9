/**
 * OAuth endpoints answer RFC 6749 §5.2 / RFC 7591 §3.2.2 error bodies (`{ error, error_description }`),
 * which OAuth clients (the MCP SDK's included) parse; the Latch envelope is for the REST API.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'invalid_target'
  | 'temporarily_unavailable';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  body() {
    return { error: this.error, error_description: this.description };
  }
}
