import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { emailSettings } from '../auth/email-settings.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors/app-error.js';
import { errorResponses, MessageResponse, pageQuery, Pagination } from '../http/schemas.js';
import { updateEmailSettings } from './provider-settings.js';
import { getTemplate, listTemplates, parseLocale, parseTemplateId, previewTemplate, putTemplate, resetTemplate } from './template-admin.js';
import { templateSettings, updateTemplateSettings } from './template-settings.js';

const tags = ['email-settings'];
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const PasswordPolicySchema = Type.Object({
  minLength: Type.Integer({ minimum: 1, maximum: 128 }),
  requireUppercase: Type.Boolean(),
  requireLowercase: Type.Boolean(),
  requireNumbers: Type.Boolean(),
  requireSpecialChars: Type.Boolean(),
  expirationDays: Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()]),
  checkCommonPasswords: Type.Boolean(),
});

const EmailProviderSchema = Type.Object({
  provider: Type.Literal('email'),
  enabled: Type.Boolean(),
  passwordPolicy: PasswordPolicySchema,
  magicLinkEnabled: Type.Boolean(),
  magicLinkExpirationMinutes: Type.Integer(),
  requireEmailVerification: Type.Boolean(),
  passwordResetUrl: Type.Union([Type.String(), Type.Null()]),
});

const EmailProviderPatch = Type.Object({
  enabled: Type.Optional(Type.Boolean()),
  passwordPolicy: Type.Optional(Type.Partial(PasswordPolicySchema)),
  magicLinkEnabled: Type.Optional(Type.Boolean()),
  magicLinkExpirationMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440 })),
  requireEmailVerification: Type.Optional(Type.Boolean()),
  passwordResetUrl: Type.Optional(Nullable(Type.String({ maxLength: 2048 }))),
});

const TemplateConfigSchema = Type.Object({
  senderEmail: Type.Union([Type.String(), Type.Null()]),
  senderName: Type.Union([Type.String(), Type.Null()]),
  logoUrl: Type.Union([Type.String(), Type.Null()]),
  brandColor: Type.String(),
  overrideDefaults: Type.Boolean(),
  appName: Type.String(),
});

const TemplateConfigPatch = Type.Object({
  senderEmail: Type.Optional(Nullable(Type.String({ maxLength: 254 }))),
  senderName: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  logoUrl: Type.Optional(Nullable(Type.String({ maxLength: 2048 }))),
  brandColor: Type.Optional(Type.String({ maxLength: 7 })),
  overrideDefaults: Type.Optional(Type.Boolean()),
  appName: Type.Optional(Type.String({ maxLength: 100 })),
});

const TemplateSummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  category: Type.String(),
  subject: Type.String(),
  customized: Type.Boolean(),
  locale: Type.String(),
});
const TemplateSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  category: Type.String(),
  subject: Type.String(),
  body: Type.String(),
  customized: Type.Boolean(),
  locale: Type.String(),
  variables: Type.Array(Type.String()),
});
const TemplateParams = Type.Object({ templateId: Type.String({ maxLength: 64 }) });
const LocaleQuery = Type.Object({ locale: Type.Optional(Type.String({ maxLength: 35, description: 'BCP-47 tag; default en' })) });

/** E3 (email provider settings) and E6–E9 (email templates): admin only (decisions.md §5). */
export function emailSettingsEndpoints(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/providers/email', {
      config: { auth: 'admin' },
      schema: { operationId: 'getEmailProvider', tags, summary: 'E3 — email provider settings', response: { 200: EmailProviderSchema, ...errorResponses(401, 403) } },
      handler: async () => ({ provider: 'email' as const, ...(await emailSettings(ctx)) }),
    });

    app.put('/providers/email', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'updateEmailProvider',
        tags,
        summary: 'E3 — change email provider settings (partial; applies at once on every instance)',
        body: EmailProviderPatch,
        response: { 200: EmailProviderSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => ({ provider: 'email' as const, ...(await updateEmailSettings(ctx, request.body)) }),
    });

    app.get('/email-templates/config', {
      config: { auth: 'admin' },
      schema: { operationId: 'getEmailTemplateConfig', tags, summary: 'E6 — global email settings (sender, logo, colour, overrides)', response: { 200: TemplateConfigSchema, ...errorResponses(401, 403) } },
      handler: async () => templateSettings(ctx),
    });

    app.put('/email-templates/config', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'updateEmailTemplateConfig',
        tags,
        summary: 'E6 — change global email settings (partial)',
        body: TemplateConfigPatch,
        response: { 200: TemplateConfigSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => updateTemplateSettings(ctx, request.body),
    });

    app.get('/email-templates', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'listEmailTemplates',
        tags,
        summary: 'E7 — the templates per locale, built-in or customized',
        querystring: Type.Composite([pageQuery(20), LocaleQuery]),
        response: { 200: Type.Object({ items: Type.Array(TemplateSummarySchema), pagination: Pagination }), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => listTemplates(ctx, request.query),
    });

    app.get('/email-templates/preview/:templateId', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'previewEmailTemplate',
        tags,
        summary: 'E9 — render a template with sample values, as it would be sent',
        params: TemplateParams,
        querystring: LocaleQuery,
        response: { 200: Type.Object({ subject: Type.String(), htmlBody: Type.String(), textBody: Type.String(), locale: Type.String() }), ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => previewTemplate(ctx, parseTemplateId(request.params.templateId), parseLocale(request.query.locale)),
    });

    app.get('/email-templates/:templateId', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'getEmailTemplate',
        tags,
        summary: 'E8 — one template (subject and HTML body) for a locale',
        params: TemplateParams,
        querystring: LocaleQuery,
        response: { 200: TemplateSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => getTemplate(ctx, parseTemplateId(request.params.templateId), parseLocale(request.query.locale)),
    });

    app.put('/email-templates/:templateId', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'updateEmailTemplate',
        tags,
        summary: 'E8 — customize a template for a locale (subject and HTML body)',
        params: TemplateParams,
        querystring: LocaleQuery,
        body: Type.Object({
          subject: Type.String({ maxLength: 250 }),
          body: Type.String({ maxLength: 100_000, description: 'HTML with {{variables}}; values are HTML-escaped when substituted' }),
          locale: Type.Optional(Type.String({ maxLength: 35 })),
        }),
        response: { 200: TemplateSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const id = parseTemplateId(request.params.templateId);
        return putTemplate(ctx, id, parseLocale(request.body.locale ?? request.query.locale), request.body);
      },
    });

    app.delete('/email-templates/:templateId', {
      config: { auth: 'admin' },
      schema: {
        operationId: 'resetEmailTemplate',
        tags,
        summary: 'E8 — drop the customization of a locale (back to the built-in text)',
        params: TemplateParams,
        querystring: LocaleQuery,
        response: { 200: MessageResponse, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const id = parseTemplateId(request.params.templateId);
        if (!(await resetTemplate(ctx, id, parseLocale(request.query.locale)))) {
          throw new AppError('auth/template-not-found', 'This template has no customization for that locale');
        }
        return { message: 'Template reset to the built-in text' };
      },
    });
  };
}
