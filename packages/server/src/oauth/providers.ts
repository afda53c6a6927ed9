import { AppError } from '../errors/app-error.js';

export const OAUTH_PROVIDERS = ['google', 'github'] as const;
export type OauthProvider = (typeof OAUTH_PROVIDERS)[number];

/** Sign-in methods an account row can stand for (A19/A20): the email credential and the social ones. */
export const ACCOUNT_PROVIDERS = ['email', ...OAUTH_PROVIDERS] as const;
export type AccountProvider = (typeof ACCOUNT_PROVIDERS)[number];

/** auth-api.md §12 defaults: Google `openid email profile`, GitHub `user:email`. */
export const DEFAULT_SCOPES: Record<OauthProvider, string[]> = {
  google: ['openid', 'email', 'profile'],
  github: ['user:email'],
};

export function isOauthProvider(value: string): value is OauthProvider {
  return (OAUTH_PROVIDERS as readonly string[]).includes(value);
}

/** 400 auth/unsupported-provider for anything but google/github (auth-api.md A03, A04, A18). */
export function parseOauthProvider(value: string): OauthProvider {
  if (!isOauthProvider(value)) throw unsupportedProvider(value, OAUTH_PROVIDERS);
  return value;
}

export function parseAccountProvider(value: string): AccountProvider {
  if (!(ACCOUNT_PROVIDERS as readonly string[]).includes(value)) throw unsupportedProvider(value, ACCOUNT_PROVIDERS);
  return value as AccountProvider;
}

function unsupportedProvider(value: string, known: readonly string[]): AppError {
  return new AppError('auth/unsupported-provider', `Provider "${value.slice(0, 32)}" is not supported; use ${known.join(', ')}`);
}
