import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import type { ExchangeInput, ProviderProfile } from './profile.js';
import { asRecord, callProvider, codeRejected, providerFailed } from './provider-http.js';

const GITHUB_JSON = 'application/vnd.github+json';

/**
 * GitHub (OAuth 2.0, no OIDC): exchange the code at the token endpoint (with the PKCE verifier), then
 * read `/user` and `/user/emails`. Only the primary address GitHub marks verified counts (OP-22); a
 * null display name falls back to the login (auth-api.md §8.2 step 3).
 */
export async function githubProfile(ctx: AppContext, clientId: string, clientSecret: string, input: ExchangeInput): Promise<ProviderProfile> {
  if (!input.code) {
    throw new AppError('auth/validation-error', 'code is required for github', { fields: [{ field: 'code', message: 'is required' }] });
  }
  const endpoints = ctx.config.oauth.github;
  const res = await callProvider(endpoints.tokenUrl, {
    form: { client_id: clientId, client_secret: clientSecret, code: input.code, redirect_uri: input.redirectUri, code_verifier: input.codeVerifier },
  });
  const body = asRecord(res.body);
  // GitHub answers a refused code with 200 and an `error` field.
  if (res.status !== 200 || typeof body.access_token !== 'string') {
    const reason = typeof body.error === 'string' ? ` (${body.error.slice(0, 64)})` : '';
    throw codeRejected(`GitHub refused the authorization code${reason}`);
  }
  const token = body.access_token;
  const [userRes, emailsRes] = await Promise.all([
    callProvider(`${endpoints.apiUrl}/user`, { bearer: token, accept: GITHUB_JSON }),
    callProvider(`${endpoints.apiUrl}/user/emails`, { bearer: token, accept: GITHUB_JSON }),
  ]);
  if (userRes.status === 401 || userRes.status === 403) throw codeRejected('GitHub refused the access token');
  if (userRes.status !== 200) throw providerFailed(`/user answered ${userRes.status}`);
  const user = asRecord(userRes.body);
  if (typeof user.id !== 'number' && typeof user.id !== 'string') throw providerFailed('/user has no id');

  const emails = emailsRes.status === 200 && Array.isArray(emailsRes.body) ? emailsRes.body.map(asRecord) : [];
  const primary = emails.find((entry) => entry.primary === true && entry.verified === true && typeof entry.email === 'string');
  const name = typeof user.name === 'string' && user.name.trim() ? user.name : typeof user.login === 'string' ? user.login : null;
  return {
    providerAccountId: String(user.id),
    email: primary ? (primary.email as string) : null,
    name,
    image: typeof user.avatar_url === 'string' ? user.avatar_url : null,
  };
}
