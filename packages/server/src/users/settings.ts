import { Type } from '@sinclair/typebox';
import type { AppContext } from '../context.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import { AppError } from '../errors/app-error.js';
import { ONBOARDING_STATUSES, parseLocale, parseOnboardingData, parseOnboardingStep, parseSlug, parseTimezone, THEMES } from './field-rules.js';
import { findLiveUser, findProfile, updateUser, upsertProfile, type ProfilePatch } from './queries.js';
import type { UserProfilesTable } from './tables.js';
import { literals } from './schema-literals.js';

/** The settings objects of auth-api.md U12–U19: schemas, defaults, partial updates. */

const nullableString = Type.Union([Type.String(), Type.Null()]);

export const PreferencesSchema = Type.Object({ locale: nullableString, timezone: nullableString, theme: nullableString });
export const PreferencesBody = Type.Object({
  locale: Type.Optional(nullableString),
  timezone: Type.Optional(nullableString),
  theme: Type.Optional(Type.Union([literals(THEMES), Type.Null()])),
});

const NOTIFICATION_COLUMNS = {
  service: 'notify_service',
  marketing: 'notify_marketing',
  push: 'notify_push',
  email: 'notify_email',
  sms: 'notify_sms',
  nightTime: 'notify_night_time',
  securityAlerts: 'notify_security_alerts',
} as const;
type NotificationKey = keyof typeof NOTIFICATION_COLUMNS;
// auth-api.md §7 defaults: true, false, true, true, false, false, true (also the column defaults).
const NOTIFICATION_DEFAULTS: Record<NotificationKey, boolean> = {
  service: true,
  marketing: false,
  push: true,
  email: true,
  sms: false,
  nightTime: false,
  securityAlerts: true,
};
const notificationKeys = Object.keys(NOTIFICATION_COLUMNS) as NotificationKey[];

export const NotificationsSchema = Type.Object(Object.fromEntries(notificationKeys.map((key) => [key, Type.Boolean()])) as Record<NotificationKey, ReturnType<typeof Type.Boolean>>);
export const NotificationsBody = Type.Partial(NotificationsSchema);

export const OnboardingSchema = Type.Object({
  status: Type.String(),
  step: nullableString,
  data: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  completedAt: nullableString,
});
export const OnboardingBody = Type.Object({
  status: Type.Optional(literals(ONBOARDING_STATUSES)),
  step: Type.Optional(nullableString),
  data: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
});

export const PublicSettingsSchema = Type.Object({ slug: nullableString, isPublic: Type.Boolean() });
export const PublicSettingsBody = Type.Object({ slug: Type.Optional(nullableString), isPublic: Type.Optional(Type.Boolean()) });

type Row = UserProfilesTable | undefined;

export function presentPreferences(row: Row) {
  return { locale: row?.locale ?? null, timezone: row?.timezone ?? null, theme: row?.theme ?? null };
}

export function presentNotifications(row: Row) {
  return Object.fromEntries(
    notificationKeys.map((key) => [key, row ? row[NOTIFICATION_COLUMNS[key]] === 1 : NOTIFICATION_DEFAULTS[key]]),
  ) as Record<NotificationKey, boolean>;
}

export function presentOnboarding(status: string, row: Row) {
  return {
    status,
    step: row?.onboarding_step ?? null,
    data: row?.onboarding_data ? (JSON.parse(row.onboarding_data) as Record<string, unknown>) : null,
    completedAt: row?.onboarding_completed_at ? new Date(row.onboarding_completed_at).toISOString() : null,
  };
}

export function presentPublicSettings(row: Row) {
  return { slug: row?.slug ?? null, isPublic: row?.is_public === 1 };
}

async function liveUserOrThrow(ctx: Pick<AppContext, 'db'>, userId: string) {
  const user = await findLiveUser(ctx.db, userId);
  if (!user) throw new AppError('user/not-found', 'No such user');
  return user;
}

export async function readSettings(ctx: AppContext, userId: string) {
  const user = await liveUserOrThrow(ctx, userId);
  return { user, row: await findProfile(ctx.db, userId) };
}

async function writeProfile(ctx: AppContext, userId: string, patch: ProfilePatch): Promise<Row> {
  await liveUserOrThrow(ctx, userId);
  if (Object.keys(patch).length > 0) await upsertProfile(ctx.db, userId, patch, ctx.clock.now());
  return findProfile(ctx.db, userId);
}

export async function updatePreferences(ctx: AppContext, userId: string, body: typeof PreferencesBody.static) {
  const patch: ProfilePatch = {};
  if (body.locale !== undefined) patch.locale = parseLocale(body.locale);
  if (body.timezone !== undefined) patch.timezone = parseTimezone(body.timezone);
  if (body.theme !== undefined) patch.theme = body.theme;
  return presentPreferences(await writeProfile(ctx, userId, patch));
}

export async function updateNotifications(ctx: AppContext, userId: string, body: typeof NotificationsBody.static) {
  const patch: ProfilePatch = {};
  for (const key of notificationKeys) {
    const value = body[key];
    if (value !== undefined) patch[NOTIFICATION_COLUMNS[key]] = value ? 1 : 0;
  }
  return presentNotifications(await writeProfile(ctx, userId, patch));
}

/**
 * U17: `status` is the user's `onboardingStatus` (mirrored by /v1/auth/me); `completedAt` is set by
 * the server when the status becomes `completed` and cleared when it leaves it (OP-29).
 */
export async function updateOnboarding(ctx: AppContext, userId: string, body: typeof OnboardingBody.static) {
  const patch: ProfilePatch = {};
  if (body.step !== undefined) patch.onboarding_step = parseOnboardingStep(body.step);
  if (body.data !== undefined) patch.onboarding_data = parseOnboardingData(body.data);
  const now = ctx.clock.now();
  const status = await ctx.db.transaction().execute(async (trx) => {
    const user = await findLiveUser(trx, userId);
    if (!user) throw new AppError('user/not-found', 'No such user');
    if (body.status !== undefined && body.status !== user.onboarding_status) {
      patch.onboarding_completed_at = body.status === 'completed' ? now : null;
      await updateUser(trx, userId, { onboarding_status: body.status, updated_at: now });
    }
    if (Object.keys(patch).length > 0) await upsertProfile(trx, userId, patch, now);
    return body.status ?? user.onboarding_status;
  });
  ctx.cache.forgetUser(userId);
  return presentOnboarding(status, await findProfile(ctx.db, userId));
}

/** U19: a taken slug is 409 user/slug-already-exists, decided by the unique index under races (OP-30). */
export async function updatePublicSettings(ctx: AppContext, userId: string, body: typeof PublicSettingsBody.static) {
  const patch: ProfilePatch = {};
  if (body.slug !== undefined) patch.slug = parseSlug(body.slug);
  if (body.isPublic !== undefined) patch.is_public = body.isPublic ? 1 : 0;
  try {
    return presentPublicSettings(await writeProfile(ctx, userId, patch));
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('user/slug-already-exists', 'This slug is already taken');
    throw error;
  }
}
