/** What a provider tells us about the person, reduced to what Latch uses (auth-api.md §8.2 step 3). */
export interface ProviderProfile {
  providerAccountId: string;
  /** Only an address the provider verified (OP-22: Google `email_verified`, GitHub primary + verified); else null. */
  email: string | null;
  name: string | null;
  image: string | null;
}

export interface ExchangeInput {
  code?: string;
  /** The exact `redirect_uri` of the authorize request (RFC 6749 §4.1.3). */
  redirectUri: string;
  /** PKCE (RFC 7636): the server's own verifier for E1 flows, or the client's `codeVerifier`. */
  codeVerifier?: string;
  idToken?: string;
  accessToken?: string;
  /** E1 flows: the nonce the ID token must carry (OIDC Core §3.1.3.7 step 11). */
  nonce?: string;
}
