/**
 * The email template engine (auth-api.md §11): `{{variable}}` substitution where every value is
 * HTML-escaped in the body (OP-41: names are user-controlled), unknown or misspelled variables render
 * as empty text, and a plain-text part is derived from the rendered HTML. Pure functions: choosing a
 * template (stored override, locale) lives in email-flows/compose-email.ts.
 */

export const TEMPLATE_IDS = ['signup_confirmation', 'email_verification', 'password_reset', 'magic_link', 'invitation'] as const;
export type TemplateId = (typeof TEMPLATE_IDS)[number];

export function isTemplateId(value: string): value is TemplateId {
  return (TEMPLATE_IDS as readonly string[]).includes(value);
}

export interface TemplateDefinition {
  id: TemplateId;
  name: string;
  /** §11 "category": the flow that sends it (the same as the id). */
  category: TemplateId;
  /** The variables the flow supplies; `appName`, `expiresInMinutes`, `expiresInHours`, `brandColor` and `logoUrl` are on every template. */
  variables: string[];
}

export const TEMPLATE_DEFINITIONS: Record<TemplateId, TemplateDefinition> = {
  signup_confirmation: { id: 'signup_confirmation', name: 'Sign-up confirmation', category: 'signup_confirmation', variables: ['userName', 'userEmail', 'verifyLink'] },
  email_verification: { id: 'email_verification', name: 'Email verification', category: 'email_verification', variables: ['userName', 'userEmail', 'verifyLink'] },
  password_reset: { id: 'password_reset', name: 'Password reset', category: 'password_reset', variables: ['userName', 'userEmail', 'resetLink'] },
  magic_link: { id: 'magic_link', name: 'Magic link', category: 'magic_link', variables: ['userName', 'userEmail', 'magicLink'] },
  invitation: {
    id: 'invitation',
    name: 'Invitation',
    category: 'invitation',
    variables: ['inviterName', 'resourceName', 'userEmail', 'userName', 'inviteLink'],
  },
};

export const COMMON_VARIABLES = ['appName', 'expiresInMinutes', 'expiresInHours', 'brandColor', 'logoUrl'];

export interface TemplateContent {
  subject: string;
  /** HTML. */
  body: string;
}

export type TemplateVariables = Record<string, string | number | null | undefined>;

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface EmailLayout {
  appName: string;
  brandColor: string;
  logoUrl: string | null;
}

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c]!);
}

/** A header-safe single line: no control characters (CR/LF header injection), collapsed spaces. */
export function plainLine(value: string): string {
  return value.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ').replace(/\s+/g, ' ').trim();
}

function valueOf(variables: TemplateVariables, name: string): string {
  if (!Object.hasOwn(variables, name)) return '';
  const value = variables[name];
  return value === null || value === undefined ? '' : String(value);
}

/** `{{name}}` → escaped value; anything unknown → '' (§11: misspelled variables render empty). */
export function substituteHtml(template: string, variables: TemplateVariables): string {
  return template.replace(VARIABLE, (_, name: string) => escapeHtml(valueOf(variables, name)));
}

/** The subject is a header, not HTML: values are made single-line instead of escaped. */
export function substituteText(template: string, variables: TemplateVariables): string {
  return plainLine(template.replace(VARIABLE, (_, name: string) => plainLine(valueOf(variables, name))));
}

export function renderEmail(content: TemplateContent, variables: TemplateVariables, layout: EmailLayout): RenderedEmail {
  const all: TemplateVariables = { appName: layout.appName, brandColor: layout.brandColor, logoUrl: layout.logoUrl ?? '', ...variables };
  const inner = substituteHtml(content.body, all);
  const html = wrapInLayout(inner, layout);
  return { subject: substituteText(content.subject, all).slice(0, 250), html, text: htmlToText(inner) };
}

/** A plain, widely supported frame: logo and brand colour from E6 around the template's body. */
function wrapInLayout(inner: string, layout: EmailLayout): string {
  const logo = layout.logoUrl
    ? `<img src="${escapeHtml(layout.logoUrl)}" alt="${escapeHtml(layout.appName)}" style="max-height:48px;max-width:200px;margin:0 0 16px 0" />`
    : '';
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width" /></head>',
    '<body style="margin:0;padding:0;background:#f4f5f7">',
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7"><tr><td align="center" style="padding:24px 12px">',
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:8px;border-top:4px solid ${escapeHtml(layout.brandColor)}">`,
    '<tr><td style="padding:28px 32px;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.6;color:#1f2328">',
    logo,
    inner,
    '</td></tr></table>',
    '</td></tr></table>',
    '</body></html>',
  ].join('\n');
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const code = entity[1] === 'x' || entity[1] === 'X' ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

/** The plain-text part (§11): links written out, blocks on their own lines, tags dropped, entities decoded. */
export function htmlToText(html: string): string {
  let text = html
    .replace(/<(head|style|script|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\r?\n/g, ' ')
    .replace(/<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')[^>]*>([\s\S]*?)<\/a\s*>/gi, (_, dq: string | undefined, sq: string | undefined, label: string) => {
      // Entities stay encoded here: the whole text is decoded exactly once below.
      const href = (dq ?? sq ?? '').trim();
      const shown = label.replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim();
      if (!href) return shown;
      return !shown || decodeEntities(shown) === decodeEntities(href) ? href : `${shown}: ${href}`;
    })
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<\/(p|div|h[1-6]|tr|table|ul|ol|blockquote)\s*>/gi, '\n\n')
    .replace(/<(p|div|h[1-6]|tr|table|ul|ol|blockquote)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '');
  text = decodeEntities(text);
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
