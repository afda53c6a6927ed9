import type { AppContext } from '../context.js';
import { githubProfile } from './github.js';
import { googleProfile } from './google.js';
import type { ExchangeInput, ProviderProfile } from './profile.js';
import type { OauthProvider } from './providers.js';

/** Step 2–3 of auth-api.md §8.2 for either provider: code (or ID token) → verified profile. */
export function exchangeForProfile(
  ctx: AppContext,
  provider: OauthProvider,
  settings: { clientId: string; clientSecret: string },
  input: ExchangeInput,
): Promise<ProviderProfile> {
  return provider === 'google'
    ? googleProfile(ctx, settings.clientId, settings.clientSecret, input)
    : githubProfile(ctx, settings.clientId, settings.clientSecret, input);
}
