import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { readSetting, writeSetting } from '../settings/queries.js';

/**
 * E6: the global email settings of auth-api.md §11 (`senderEmail`, `senderName`, `logoUrl`,
 * `brandColor`, `overrideDefaults`) plus `appName` (the `{{appName}}` variable). Stored in the
 * settings table and read per send, so a change applies at once on every instance.
 */
export interface TemplateSettings {
  /** null = the address of LATCH_MAIL_FROM. */
  senderEmail: string | null;
  /** null = the name of LATCH_MAIL_FROM. */
  senderName: string | null;
  logoUrl: string | null;
  brandColor: string;
  /** true = customized templates (E8) replace the built-in ones; false = built-ins only, customizations kept. */
  overrideDefaults: boolean;
  appName: string;
}

export const DEFAULT_TEMPLATE_SETTINGS: TemplateSettings = {
  senderEmail: null,
  senderName: null,
  logoUrl: null,
  brandColor: '#2563eb',
  overrideDefaults: true,
  appName: 'Latch',
};

export const TEMPLATE_SETTINGS_KEY = 'email-templates:config';

export async function templateSettings(ctx: Pick<AppContext, 'db'>): Promise<TemplateSettings> {
  const stored = await readSetting<Partial<TemplateSettings>>(ctx.db, TEMPLATE_SETTINGS_KEY);
  return { ...DEFAULT_TEMPLATE_SETTINGS, ...stored };
}

const SENDER_EMAIL = /^[^\s@<>"(),;:\\[\]\p{Cc}]+@[^\s@<>"(),;:\\[\]\p{Cc}]+\.[^\s@<>"(),;:\\[\]\p{Cc}]+$/u;
const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** PUT is partial; every field is checked so nothing unsafe reaches a header or the HTML layout. */
export async function updateTemplateSettings(ctx: Pick<AppContext, 'db' | 'clock'>, patch: Partial<TemplateSettings>): Promise<TemplateSettings> {
  const problems: Array<{ field: string; message: string }> = [];
  if (patch.senderEmail !== undefined && patch.senderEmail !== null && (patch.senderEmail.length > 254 || !SENDER_EMAIL.test(patch.senderEmail))) {
    problems.push({ field: 'senderEmail', message: 'must be an email address' });
  }
  if (patch.senderName !== undefined && patch.senderName !== null && (patch.senderName.length > 100 || CONTROL.test(patch.senderName))) {
    problems.push({ field: 'senderName', message: 'must be at most 100 characters without control characters' });
  }
  if (patch.logoUrl !== undefined && patch.logoUrl !== null && !isHttpUrl(patch.logoUrl)) {
    problems.push({ field: 'logoUrl', message: 'must be an http(s) URL' });
  }
  if (patch.brandColor !== undefined && !HEX_COLOR.test(patch.brandColor)) {
    problems.push({ field: 'brandColor', message: 'must be a hex colour like #2563eb' });
  }
  if (patch.appName !== undefined && (patch.appName.trim().length === 0 || patch.appName.length > 100 || CONTROL.test(patch.appName))) {
    problems.push({ field: 'appName', message: 'must be 1–100 characters without control characters' });
  }
  if (problems.length > 0) throw new AppError('auth/validation-error', `Invalid ${problems[0].field}: ${problems[0].message}`, { fields: problems });

  const current = await templateSettings(ctx);
  const next: TemplateSettings = { ...current };
  for (const key of Object.keys(DEFAULT_TEMPLATE_SETTINGS) as Array<keyof TemplateSettings>) {
    if (patch[key] !== undefined) (next as unknown as Record<string, unknown>)[key] = key === 'appName' ? String(patch[key]).trim() : patch[key];
  }
  await writeSetting(ctx.db, TEMPLATE_SETTINGS_KEY, next, ctx.clock.now());
  return next;
}

function isHttpUrl(value: string): boolean {
  if (value.length > 2048) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
  } catch {
    return false;
  }
}
