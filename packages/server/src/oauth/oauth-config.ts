import { ConfigError } from '../config/config-error.js';
import { shown } from '../config/parse.js';

type Read = (name: string) => string | undefined;

export interface GoogleEnv {
  clientId?: string;
  clientSecret?: string;
  authorizeUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  jwksUrl: string;
  /** Expected `iss` of Google ID tokens (OIDC Core §3.1.3.7 step 2). */
  issuer: string;
}

export interface GithubEnv {
  clientId?: string;
  clientSecret?: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** Serves `/user` and `/user/emails`. */
  apiUrl: string;
}

export interface OauthConfig {
  google: GoogleEnv;
  github: GithubEnv;
  /** A21 can be switched off: it is an unauthenticated enumeration oracle (auth-api.md OP-23). */
  accountsCheckEnabled: boolean;
}

/**
 * The LATCH_GOOGLE_* / LATCH_GITHUB_* variables (config.md). Endpoints default to the real providers and
 * are overridable so tests and air-gapped sites use their own OAuth/OIDC server.
 */
export function parseOauthConfig(read: Read): OauthConfig {
  const url = (name: string, fallback: string) => httpUrl(read(name) ?? fallback, name);
  return {
    google: {
      clientId: read('LATCH_GOOGLE_CLIENT_ID'),
      clientSecret: read('LATCH_GOOGLE_CLIENT_SECRET'),
      authorizeUrl: url('LATCH_GOOGLE_AUTHORIZE_URL', 'https://accounts.google.com/o/oauth2/v2/auth'),
      tokenUrl: url('LATCH_GOOGLE_TOKEN_URL', 'https://oauth2.googleapis.com/token'),
      userinfoUrl: url('LATCH_GOOGLE_USERINFO_URL', 'https://openidconnect.googleapis.com/v1/userinfo'),
      jwksUrl: url('LATCH_GOOGLE_JWKS_URL', 'https://www.googleapis.com/oauth2/v3/certs'),
      issuer: read('LATCH_GOOGLE_ISSUER') ?? 'https://accounts.google.com',
    },
    github: {
      clientId: read('LATCH_GITHUB_CLIENT_ID'),
      clientSecret: read('LATCH_GITHUB_CLIENT_SECRET'),
      authorizeUrl: url('LATCH_GITHUB_AUTHORIZE_URL', 'https://github.com/login/oauth/authorize'),
      tokenUrl: url('LATCH_GITHUB_TOKEN_URL', 'https://github.com/login/oauth/access_token'),
      apiUrl: url('LATCH_GITHUB_API_URL', 'https://api.github.com').replace(/\/$/, ''),
    },
    accountsCheckEnabled: flag(read('LATCH_ACCOUNTS_CHECK') ?? 'on', 'LATCH_ACCOUNTS_CHECK'),
  };
}

function httpUrl(value: string, name: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, `${shown(value)} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(name, 'must be an http(s) URL');
  return value;
}

function flag(value: string, name: string): boolean {
  if (['on', 'true', '1', 'yes'].includes(value)) return true;
  if (['off', 'false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(name, 'must be on or off');
}
