import { recordAudit } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { DEFAULT_SCOPES, OAUTH_PROVIDERS, type OauthProvider } from './providers.js';
import { deleteProviderRow, findProviderRow, upsertProviderRow } from './queries.js';

const SECRET_PURPOSE = 'oauth-client-secret';

export interface ProviderSettings {
  provider: OauthProvider;
  clientId: string | null;
  /** Plaintext, for the token exchange only: never presented (auth-api.md §12: write-only). */
  clientSecret: string | null;
  redirectUri: string | null;
  scopes: string[];
  enabled: boolean;
  /** Where the values come from: an E5 row, the LATCH_* variables, or nowhere yet. */
  source: 'stored' | 'env' | 'none';
}

export interface ProviderSettingsPatch {
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string | null;
  scopes?: string[];
  enabled?: boolean;
}

/**
 * Read through on every use (no process cache), so an E5 change applies on every instance at once.
 * Environment variables seed a provider only while no stored row exists (decisions.md §5).
 */
export async function loadProviderSettings(ctx: AppContext, provider: OauthProvider): Promise<ProviderSettings> {
  const row = await findProviderRow(ctx.db, provider);
  if (row) {
    return {
      provider,
      clientId: row.client_id,
      clientSecret: row.client_secret_sealed ? ctx.sealer.open(SECRET_PURPOSE, row.client_secret_sealed) : null,
      redirectUri: row.redirect_uri,
      scopes: JSON.parse(row.scopes) as string[],
      enabled: Boolean(row.enabled),
      source: 'stored',
    };
  }
  const env = ctx.config.oauth[provider];
  const clientId = env.clientId ?? null;
  const clientSecret = env.clientSecret ?? null;
  return {
    provider,
    clientId,
    clientSecret,
    redirectUri: null,
    scopes: DEFAULT_SCOPES[provider],
    enabled: Boolean(clientId && clientSecret),
    source: clientId || clientSecret ? 'env' : 'none',
  };
}

export function isConfigured(settings: ProviderSettings): boolean {
  return Boolean(settings.clientId && settings.clientSecret);
}

/** The settings of a provider that may be used for sign-in now, else 400 auth/oauth-not-configured. */
export async function requireUsableProvider(ctx: AppContext, provider: OauthProvider): Promise<ProviderSettings & { clientId: string; clientSecret: string }> {
  const settings = await loadProviderSettings(ctx, provider);
  if (!settings.enabled || !isConfigured(settings)) {
    throw new AppError('auth/oauth-not-configured', `${provider} sign-in is not configured or is disabled`);
  }
  return settings as ProviderSettings & { clientId: string; clientSecret: string };
}

/** The `redirect_uri` sent to the provider: the configured one, else Latch's own callback (decisions.md §5 E1). */
export function providerRedirectUri(ctx: AppContext, settings: ProviderSettings): string {
  return settings.redirectUri ?? `${ctx.config.publicUrl}/v1/auth/${settings.provider}/callback`;
}

/** E4/E5 view: the client secret is write-only; only whether one is set is shown. */
export function presentProviderSettings(ctx: AppContext, settings: ProviderSettings) {
  return {
    provider: settings.provider,
    clientId: settings.clientId,
    redirectUri: settings.redirectUri ?? providerRedirectUri(ctx, settings),
    scopes: settings.scopes,
    enabled: settings.enabled,
    configured: isConfigured(settings),
    clientSecretSet: Boolean(settings.clientSecret),
    source: settings.source,
  };
}

export async function listProviderSettings(ctx: AppContext): Promise<ProviderSettings[]> {
  return Promise.all(OAUTH_PROVIDERS.map((provider) => loadProviderSettings(ctx, provider)));
}

/**
 * E5 PUT, partial (decisions.md §5): omitted fields keep their value, an omitted `clientSecret` keeps the
 * stored one. The first PUT stores the env-seeded values it was merged over, so the row is complete.
 */
export async function updateProviderSettings(ctx: AppContext, provider: OauthProvider, patch: ProviderSettingsPatch, actor: string): Promise<ProviderSettings> {
  const current = await loadProviderSettings(ctx, provider);
  const next: ProviderSettings = {
    ...current,
    clientId: patch.clientId ?? current.clientId,
    clientSecret: patch.clientSecret ?? current.clientSecret,
    redirectUri: patch.redirectUri === undefined ? current.redirectUri : patch.redirectUri,
    scopes: patch.scopes ?? current.scopes,
    enabled: patch.enabled ?? current.enabled,
    source: 'stored',
  };
  if (next.redirectUri !== null) assertHttpUrl(next.redirectUri);
  if (next.enabled && !isConfigured(next)) {
    throw new AppError('auth/validation-error', 'clientId and clientSecret are required to enable a provider', {
      fields: [{ field: next.clientId ? 'clientSecret' : 'clientId', message: 'is required when enabled' }],
    });
  }
  await upsertProviderRow(ctx.db, {
    provider,
    client_id: next.clientId,
    client_secret_sealed: next.clientSecret ? ctx.sealer.seal(SECRET_PURPOSE, next.clientSecret) : null,
    redirect_uri: next.redirectUri,
    scopes: JSON.stringify(next.scopes),
    enabled: next.enabled ? 1 : 0,
    updated_at: ctx.clock.now(),
  });
  await recordAudit(ctx, {
    event: 'oauth_provider.updated',
    actor,
    details: { provider, fields: Object.keys(patch).filter((key) => patch[key as keyof ProviderSettingsPatch] !== undefined) },
  });
  return next;
}

/** E5 DELETE: forget the stored settings; LATCH_* variables (if any) seed the provider again. */
export async function deleteProviderSettings(ctx: AppContext, provider: OauthProvider, actor: string): Promise<void> {
  await deleteProviderRow(ctx.db, provider);
  await recordAudit(ctx, { event: 'oauth_provider.deleted', actor, details: { provider } });
}

function assertHttpUrl(value: string): void {
  let ok = false;
  try {
    const url = new URL(value);
    ok = url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    ok = false;
  }
  if (!ok) throw new AppError('auth/validation-error', 'redirectUri must be an absolute http(s) URL', { fields: [{ field: 'redirectUri', message: 'must be an http(s) URL' }] });
}
