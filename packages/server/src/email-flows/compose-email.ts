import type { AppContext } from '../context.js';
import type { MailMessage } from '../mail/mailer.js';
import { DEFAULT_LOCALE, DEFAULT_TEMPLATES } from '../mail/templates-default.js';
import { renderEmail, type RenderedEmail, type TemplateContent, type TemplateId, type TemplateVariables } from '../mail/templates.js';
import { findTemplateOverride, findUserLocale } from './queries.js';
import { templateSettings, type TemplateSettings } from './template-settings.js';

const LOCALE = /^[a-z]{2,3}(?:-[a-z0-9]{2,8}){0,3}$/;

/** BCP-47 tags compare case-insensitively; stored and matched in lower case (`pt-br`). */
export function normalizeLocale(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const tag = raw.trim().replace(/_/g, '-').toLowerCase();
  return LOCALE.test(tag) ? tag : null;
}

/** `pt-br` → `pt-br`, `pt`, then English (§11: the user's preference, falling back to English). */
export function localeCandidates(locale: string | null): string[] {
  const out: string[] = [];
  const tag = normalizeLocale(locale);
  if (tag) {
    const parts = tag.split('-');
    for (let n = parts.length; n >= 1; n--) out.push(parts.slice(0, n).join('-'));
  }
  if (!out.includes(DEFAULT_LOCALE)) out.push(DEFAULT_LOCALE);
  return out;
}

export interface ResolvedTemplate {
  content: TemplateContent;
  locale: string;
  customized: boolean;
}

/**
 * The most specific locale wins; within one locale an admin's override (when `overrideDefaults` is on)
 * wins over the built-in. English always exists.
 */
export async function resolveTemplate(ctx: Pick<AppContext, 'db'>, id: TemplateId, locale: string | null, settings: TemplateSettings): Promise<ResolvedTemplate> {
  for (const candidate of localeCandidates(locale)) {
    if (settings.overrideDefaults) {
      const stored = await findTemplateOverride(ctx.db, id, candidate);
      if (stored) return { content: { subject: stored.subject, body: stored.body }, locale: candidate, customized: true };
    }
    const builtIn = DEFAULT_TEMPLATES[candidate]?.[id];
    if (builtIn) return { content: builtIn, locale: candidate, customized: false };
  }
  return { content: DEFAULT_TEMPLATES[DEFAULT_LOCALE][id], locale: DEFAULT_LOCALE, customized: false };
}

export interface EmailRequest {
  template: TemplateId;
  to: string;
  /** The addressee's account, whose preferred locale (U12) picks the language. */
  userId?: string | null;
  /** An explicit locale (preview, or a caller that knows better). */
  locale?: string | null;
  variables: TemplateVariables;
  expiresInMinutes?: number;
}

/** Variables every template gets (OP-41): `expiresInMinutes`, `expiresInHours`, plus the layout's. */
export function withCommonVariables(variables: TemplateVariables, expiresInMinutes?: number): TemplateVariables {
  if (expiresInMinutes === undefined) return variables;
  return { expiresInMinutes, expiresInHours: Math.max(1, Math.round(expiresInMinutes / 60)), ...variables };
}

export async function renderFor(ctx: Pick<AppContext, 'db'>, request: Omit<EmailRequest, 'to'>): Promise<RenderedEmail & { locale: string; settings: TemplateSettings }> {
  const settings = await templateSettings(ctx);
  const locale = request.locale ?? (request.userId ? await findUserLocale(ctx.db, request.userId) : null);
  const resolved = await resolveTemplate(ctx, request.template, locale, settings);
  const rendered = renderEmail(resolved.content, withCommonVariables(request.variables, request.expiresInMinutes), {
    appName: settings.appName,
    brandColor: settings.brandColor,
    logoUrl: settings.logoUrl,
  });
  return { ...rendered, locale: resolved.locale, settings };
}

/** The message for one flow: template chosen and rendered, sender from E6 (else LATCH_MAIL_FROM). */
export async function composeEmail(ctx: Pick<AppContext, 'db' | 'config'>, request: EmailRequest): Promise<MailMessage> {
  const { subject, html, text, settings } = await renderFor(ctx, request);
  const message: MailMessage = { to: request.to, subject, html, text, template: request.template };
  if (settings.senderEmail || settings.senderName) {
    const configured = parseMailFrom(ctx.config.mailFrom);
    message.from = { name: settings.senderName ?? configured.name, address: settings.senderEmail ?? configured.address };
  }
  return message;
}

function parseMailFrom(value: string): { name: string; address: string } {
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(value);
  return match ? { name: match[1].trim(), address: match[2].trim() } : { name: '', address: value.trim() };
}
