import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { pagination } from '../http/schemas.js';
import { DEFAULT_TEMPLATES } from '../mail/templates-default.js';
import { COMMON_VARIABLES, isTemplateId, TEMPLATE_DEFINITIONS, TEMPLATE_IDS, type TemplateId } from '../mail/templates.js';
import { normalizeLocale, renderFor, resolveTemplate } from './compose-email.js';
import { deleteTemplateOverride, listTemplateOverrides, upsertTemplateOverride } from './queries.js';
import { templateSettings } from './template-settings.js';

/** E7–E9 (auth-api.md §11, §14): admin management of the five templates, per locale. */

export function parseTemplateId(raw: string): TemplateId {
  if (!isTemplateId(raw)) throw new AppError('auth/template-not-found', `No email template "${raw.slice(0, 64)}"; known: ${TEMPLATE_IDS.join(', ')}`);
  return raw;
}

export function parseLocale(raw: string | undefined): string {
  if (raw === undefined) return 'en';
  const locale = normalizeLocale(raw);
  if (!locale) throw new AppError('auth/validation-error', 'locale must be a language tag like en, ko or pt-BR', { fields: [{ field: 'locale', message: 'is not a language tag' }] });
  return locale;
}

export interface TemplateSummary {
  id: TemplateId;
  name: string;
  category: string;
  subject: string;
  customized: boolean;
  locale: string;
}

/** E7: every template in every locale that has a built-in or an override, ids then locales. */
export async function listTemplates(ctx: Pick<AppContext, 'db'>, query: { locale?: string; page: number; limit: number }) {
  const overrides = await listTemplateOverrides(ctx.db);
  const rows = new Map<string, TemplateSummary>();
  for (const [locale, templates] of Object.entries(DEFAULT_TEMPLATES)) {
    for (const id of TEMPLATE_IDS) rows.set(`${id}\u0000${locale}`, summary(id, locale, templates[id].subject, false));
  }
  for (const row of overrides) {
    if (isTemplateId(row.template_id)) rows.set(`${row.template_id}\u0000${row.locale}`, summary(row.template_id, row.locale, row.subject, true));
  }
  const wanted = query.locale === undefined ? undefined : parseLocale(query.locale);
  const all = [...rows.values()]
    .filter((row) => wanted === undefined || row.locale === wanted)
    .sort((a, b) => TEMPLATE_IDS.indexOf(a.id) - TEMPLATE_IDS.indexOf(b.id) || a.locale.localeCompare(b.locale));
  const start = (query.page - 1) * query.limit;
  return { items: all.slice(start, start + query.limit), pagination: pagination(query.page, query.limit, all.length) };
}

function summary(id: TemplateId, locale: string, subject: string, customized: boolean): TemplateSummary {
  const definition = TEMPLATE_DEFINITIONS[id];
  return { id, name: definition.name, category: definition.category, subject, customized, locale };
}

/** E8 GET: what a user with this locale would receive (the English fallback when none exists). */
export async function getTemplate(ctx: Pick<AppContext, 'db'>, id: TemplateId, locale: string) {
  const settings = await templateSettings(ctx);
  // The admin sees their saved override even while `overrideDefaults` is off.
  const resolved = await resolveTemplate(ctx, id, locale, { ...settings, overrideDefaults: true });
  return present(id, resolved.locale, resolved.content.subject, resolved.content.body, resolved.customized);
}

const MAX_BODY = 100_000;

/** E8 PUT: store the override of one locale; subject and body are required (§11). */
export async function putTemplate(ctx: Pick<AppContext, 'db' | 'clock'>, id: TemplateId, locale: string, input: { subject: string; body: string }) {
  const subject = input.subject.trim();
  const problems: Array<{ field: string; message: string }> = [];
  if (subject.length === 0 || subject.length > 250 || /[\r\n]/.test(subject)) problems.push({ field: 'subject', message: 'must be 1–250 characters on one line' });
  if (input.body.trim().length === 0 || input.body.length > MAX_BODY) problems.push({ field: 'body', message: `must be 1–${MAX_BODY} characters` });
  if (problems.length > 0) throw new AppError('auth/validation-error', `Invalid ${problems[0].field}: ${problems[0].message}`, { fields: problems });
  await upsertTemplateOverride(ctx.db, { template_id: id, locale, subject, body: input.body, updated_at: ctx.clock.now() });
  return present(id, locale, subject, input.body, true);
}

/** Back to the built-in text for that locale. */
export async function resetTemplate(ctx: Pick<AppContext, 'db'>, id: TemplateId, locale: string): Promise<boolean> {
  return deleteTemplateOverride(ctx.db, id, locale);
}

function present(id: TemplateId, locale: string, subject: string, body: string, customized: boolean) {
  const definition = TEMPLATE_DEFINITIONS[id];
  return { id, name: definition.name, category: definition.category, subject, body, customized, locale, variables: [...definition.variables, ...COMMON_VARIABLES] };
}

const SAMPLE_MINUTES: Record<TemplateId, number> = {
  signup_confirmation: 1440,
  email_verification: 1440,
  password_reset: 15,
  magic_link: 15,
  invitation: 10_080,
};

/** E9: rendered exactly as it would be sent (current settings and overrides), with sample values. */
export async function previewTemplate(ctx: Pick<AppContext, 'db' | 'config'>, id: TemplateId, locale: string) {
  const link = (path: string) => `${ctx.config.publicUrl}${path}?token=preview-token&email=ada%40example.com`;
  const rendered = await renderFor(ctx, {
    template: id,
    locale,
    variables: {
      userName: 'Ada Lovelace',
      userEmail: 'ada@example.com',
      verifyLink: link('/v1/auth/signup/email/confirm'),
      resetLink: link('/reset-password'),
      magicLink: `${ctx.config.publicUrl}/auth/callback?token=preview-token`,
      inviteLink: link('/invitations'),
      inviterName: 'Grace Hopper',
      resourceName: 'Analytical Engines',
    },
    expiresInMinutes: SAMPLE_MINUTES[id],
  });
  return { subject: rendered.subject, htmlBody: rendered.html, textBody: rendered.text, locale: rendered.locale };
}
