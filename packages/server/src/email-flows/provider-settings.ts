import { EMAIL_SETTINGS_KEY, emailSettings, type EmailSettings, type PasswordPolicy } from '../auth/email-settings.js';
import { MAX_PASSWORD_LENGTH } from '../auth/password-policy.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { assertAllowedRedirect } from '../oauth/redirect-allow-list.js';
import { writeSetting } from '../settings/queries.js';

export type EmailSettingsPatch = Partial<Omit<EmailSettings, 'passwordPolicy'>> & { passwordPolicy?: Partial<PasswordPolicy> };

/**
 * E3 PUT (decisions.md §5): partial, validated as a whole, stored in the `provider:email` settings row
 * that every instance reads per request (auth/email-settings.ts), so it applies without a restart.
 */
export async function updateEmailSettings(ctx: Pick<AppContext, 'db' | 'clock' | 'config'>, patch: EmailSettingsPatch): Promise<EmailSettings> {
  const current = await emailSettings(ctx);
  const next: EmailSettings = {
    ...current,
    ...definedOnly(patch),
    passwordPolicy: { ...current.passwordPolicy, ...definedOnly(patch.passwordPolicy ?? {}) },
  };
  if (next.passwordPolicy.minLength > MAX_PASSWORD_LENGTH) {
    throw new AppError('auth/validation-error', `passwordPolicy.minLength must be at most ${MAX_PASSWORD_LENGTH}`, {
      fields: [{ field: 'passwordPolicy.minLength', message: `must be at most ${MAX_PASSWORD_LENGTH}` }],
    });
  }
  if (patch.passwordResetUrl !== undefined && patch.passwordResetUrl !== null) {
    // The reset page receives the token in its query: the same allow-list as every callbackUrl.
    next.passwordResetUrl = assertAllowedRedirect(patch.passwordResetUrl, ctx.config.allowedRedirectUrls, 'passwordResetUrl').toString();
  }
  await writeSetting(ctx.db, EMAIL_SETTINGS_KEY, next, ctx.clock.now());
  return next;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
