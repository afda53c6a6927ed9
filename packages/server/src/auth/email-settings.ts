import type { AppContext } from '../context.js';
import { readSetting } from '../settings/queries.js';

export interface PasswordPolicy {
  minLength: number;
  requireUppercase: boolean;
  requireLowercase: boolean;
  requireNumbers: boolean;
  requireSpecialChars: boolean;
  expirationDays: number | null;
  checkCommonPasswords: boolean;
}

/** E3's object (decisions.md §5). */
export interface EmailSettings {
  enabled: boolean;
  passwordPolicy: PasswordPolicy;
  magicLinkEnabled: boolean;
  magicLinkExpirationMinutes: number;
  requireEmailVerification: boolean;
  passwordResetUrl: string | null;
}

/** The product brief's policy (auth-api.md §15 OP-1): 8–128, four classes, common-password list. */
export const DEFAULT_EMAIL_SETTINGS: EmailSettings = {
  enabled: true,
  passwordPolicy: {
    minLength: 8,
    requireUppercase: true,
    requireLowercase: true,
    requireNumbers: true,
    requireSpecialChars: true,
    expirationDays: null,
    checkCommonPasswords: true,
  },
  magicLinkEnabled: true,
  magicLinkExpirationMinutes: 15,
  requireEmailVerification: false,
  passwordResetUrl: null,
};

export const EMAIL_SETTINGS_KEY = 'provider:email';

/** Stored settings over the defaults; read through so a change applies on every instance at once. */
export async function emailSettings(ctx: Pick<AppContext, 'db'>): Promise<EmailSettings> {
  return withDefaults(await readSetting<Partial<EmailSettings>>(ctx.db, EMAIL_SETTINGS_KEY));
}

/** The settings row's JSON (or its absence) over the defaults. */
export function emailSettingsFrom(value: string | null): EmailSettings {
  return withDefaults(value === null ? undefined : (JSON.parse(value) as Partial<EmailSettings>));
}

function withDefaults(stored: Partial<EmailSettings> | undefined): EmailSettings {
  if (!stored) return DEFAULT_EMAIL_SETTINGS;
  return {
    ...DEFAULT_EMAIL_SETTINGS,
    ...stored,
    passwordPolicy: { ...DEFAULT_EMAIL_SETTINGS.passwordPolicy, ...stored.passwordPolicy },
  };
}
