import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { Email, errorResponses, MessageResponse, NewPassword, Pagination, pageQuery } from '../http/schemas.js';
import { accessTo, requireSelfOrAdmin, requireSignedIn, usersCaller } from './access.js';
import { attachAvatar, issueUploadUrl, removeAvatar } from './avatars/avatars.js';
import { deleteUserAccount } from './delete-user.js';
import { listUsers } from './list-users.js';
import { changeRole, createUserAsAdmin, findTargetUser, patchUser } from './manage-user.js';
import { presentPublicUser, presentSelfUser, UserViewSchema } from './present.js';
import { getProfile, ProfilePatchBody, ProfileSchema, updateProfile } from './profile.js';
import {
  NotificationsBody,
  NotificationsSchema,
  OnboardingBody,
  OnboardingSchema,
  presentNotifications,
  presentOnboarding,
  presentPreferences,
  presentPublicSettings,
  PreferencesBody,
  PreferencesSchema,
  PublicSettingsBody,
  PublicSettingsSchema,
  readSettings,
  updateNotifications,
  updateOnboarding,
  updatePreferences,
  updatePublicSettings,
} from './settings.js';
import { literals } from './schema-literals.js';

const tags = ['users'];
const UserParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 64 }) });
// Fields whose bad values have their own codes (user/invalid-name, user/invalid-role) are checked in
// code, so the schema lets any JSON value through to that check.
const CodeChecked = (description: string) => Type.Optional(Type.Unknown({ description }));

/** Who may call what (auth-api.md §9) is a route hook, so 401/403 come before 400 (STYLE §5). */
const selfOrAdmin = { config: { auth: 'key' as const }, onRequest: requireSelfOrAdmin };
const signedIn = { config: { auth: 'key' as const }, onRequest: requireSignedIn };
const adminOnly = { config: { auth: 'admin' as const } };

function actorOf(caller: ReturnType<typeof usersCaller>): string {
  return caller.user ? `admin:${caller.user.id}` : 'secret_key';
}

/** User management, profiles, settings, avatars (U01–U19) — registered in app.ts under /v1/users. */
export function userRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/', {
      ...signedIn,
      schema: {
        operationId: 'listUsers',
        tags,
        summary: 'U01 — list users (admins: full objects; others: public fields)',
        querystring: Type.Composite([
          pageQuery(20),
          Type.Object({
            search: Type.Optional(Type.String({ maxLength: 200 })),
            searchType: Type.Optional(literals(['name', 'nickname', 'email'])),
            sortBy: Type.Optional(literals(['createdAt', 'updatedAt', 'name', 'email', 'role'])),
            sortDirection: Type.Optional(literals(['asc', 'desc'])),
            includeAccounts: Type.Optional(Type.Boolean()),
          }),
        ]),
        response: { 200: Type.Object({ items: Type.Array(UserViewSchema), pagination: Pagination }), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const q = request.query;
        return listUsers(ctx, usersCaller(request), {
          page: q.page,
          limit: q.limit,
          search: q.search,
          searchType: q.searchType,
          sortBy: q.sortBy ?? 'createdAt',
          sortDirection: q.sortDirection ?? 'desc',
          includeAccounts: q.includeAccounts,
        });
      },
    });

    app.post('/', {
      ...adminOnly,
      schema: {
        operationId: 'createUser',
        tags,
        summary: 'U02 — create a user (admin); no email is sent',
        body: Type.Object({
          name: CodeChecked('1–100 characters'),
          email: Email,
          role: CodeChecked('admin, user or guest (default user)'),
          password: Type.Optional(NewPassword),
        }),
        response: { 201: Type.Ref('SelfUser'), ...errorResponses(400, 401, 403, 409) },
      },
      handler: async (request, reply) => {
        const caller = usersCaller(request);
        const user = await createUserAsAdmin(ctx, request.body, caller.user?.id ?? null);
        return reply.code(201).send(presentSelfUser(user));
      },
    });

    app.get('/:userId', {
      ...signedIn,
      schema: {
        operationId: 'getUser',
        tags,
        summary: 'U03 — one user (self/admin: full; others: public fields)',
        params: UserParams,
        response: { 200: UserViewSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const user = await findTargetUser(ctx, request.params.userId);
        return accessTo(usersCaller(request), user.id) === 'other' ? presentPublicUser(user) : presentSelfUser(user);
      },
    });

    app.patch('/:userId', {
      ...selfOrAdmin,
      schema: {
        operationId: 'updateUser',
        tags,
        summary: 'U04 — update name/nickname; admins may also set `banned` (OP-28)',
        params: UserParams,
        body: Type.Object({
          name: CodeChecked('1–100 characters'),
          nickname: CodeChecked('1–50 characters or null'),
          banned: Type.Optional(Type.Boolean({ description: 'admin only; ignored for others' })),
        }),
        response: { 200: Type.Ref('SelfUser'), ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const caller = usersCaller(request);
        const target = await findTargetUser(ctx, request.params.userId);
        const updated = await patchUser(ctx, target, request.body, { admin: caller.admin, id: caller.user?.id ?? null });
        return presentSelfUser(updated);
      },
    });

    app.delete('/:userId', {
      ...selfOrAdmin,
      schema: {
        operationId: 'deleteUser',
        tags,
        summary: 'U05 — delete a user (self = A08 withdraw, or admin); never the last admin',
        params: UserParams,
        response: { 200: MessageResponse, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const caller = usersCaller(request);
        const target = await findTargetUser(ctx, request.params.userId);
        // Deleting oneself is A08 by another route (OP-26); an admin deleting someone is recorded as such.
        await deleteUserAccount(ctx, target, { actor: caller.user?.id === target.id ? 'user' : actorOf(caller) });
        return { message: 'User deleted' };
      },
    });

    app.patch('/:userId/role', {
      ...adminOnly,
      schema: {
        operationId: 'changeUserRole',
        tags,
        summary: 'U06 — change the role (admin); effective on the user\'s next request',
        params: UserParams,
        body: Type.Object({ role: CodeChecked('admin, user or guest') }),
        response: { 200: Type.Ref('SelfUser'), ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const caller = usersCaller(request);
        return presentSelfUser(await changeRole(ctx, request.params.userId, request.body.role, actorOf(caller)));
      },
    });

    app.get('/:userId/profile', {
      ...signedIn,
      schema: {
        operationId: 'getUserProfile',
        tags,
        summary: 'U07 — profile (self/admin; others only when public, without email and mobile)',
        params: UserParams,
        response: { 200: ProfileSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => getProfile(ctx, request.params.userId, accessTo(usersCaller(request), request.params.userId)),
    });

    app.patch('/:userId/profile', {
      ...selfOrAdmin,
      schema: {
        operationId: 'updateUserProfile',
        tags,
        summary: 'U08 — update the profile (partial; null clears)',
        params: UserParams,
        body: ProfilePatchBody,
        response: { 200: ProfileSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => updateProfile(ctx, request.params.userId, request.body),
    });

    app.post('/:userId/avatar/upload-url', {
      ...selfOrAdmin,
      schema: {
        operationId: 'createAvatarUploadUrl',
        tags,
        summary: 'U09 — a signed PUT URL for a new avatar (15 min, 5 MiB)',
        params: UserParams,
        body: Type.Object({ filename: Type.String({ minLength: 1, maxLength: 255 }), contentType: Type.String({ maxLength: 100 }) }),
        response: {
          200: Type.Object({ url: Type.String(), uploadUrl: Type.String(), key: Type.String(), expiresAt: Type.String() }),
          ...errorResponses(400, 401, 403, 404, 429),
        },
      },
      handler: async (request) => {
        const user = await findTargetUser(ctx, request.params.userId);
        return issueUploadUrl(ctx, user.id, request.body);
      },
    });

    app.patch('/:userId/avatar', {
      ...selfOrAdmin,
      schema: {
        operationId: 'setAvatar',
        tags,
        summary: 'U10 — make an uploaded object the avatar (`image`)',
        params: UserParams,
        body: Type.Object({ s3Key: Type.String({ maxLength: 200 }) }),
        response: { 200: Type.Object({ image: Type.String() }), ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const user = await findTargetUser(ctx, request.params.userId);
        return attachAvatar(ctx, user.id, request.body.s3Key);
      },
    });

    app.delete('/:userId/avatar', {
      ...selfOrAdmin,
      schema: {
        operationId: 'deleteAvatar',
        tags,
        summary: 'U11 — remove the avatar (the stored object is deleted)',
        params: UserParams,
        response: { 200: MessageResponse, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const user = await findTargetUser(ctx, request.params.userId);
        await removeAvatar(ctx, user.id);
        return { message: 'Avatar removed' };
      },
    });

    const settings = [
      { path: 'preferences', name: 'Preferences', codes: 'U12/U13', schema: PreferencesSchema, body: PreferencesBody },
      { path: 'notifications', name: 'Notifications', codes: 'U14/U15', schema: NotificationsSchema, body: NotificationsBody },
      { path: 'onboarding', name: 'Onboarding', codes: 'U16/U17', schema: OnboardingSchema, body: OnboardingBody },
      { path: 'public-settings', name: 'PublicSettings', codes: 'U18/U19', schema: PublicSettingsSchema, body: PublicSettingsBody },
    ] as const;
    const present = {
      preferences: (s: Awaited<ReturnType<typeof readSettings>>) => presentPreferences(s.row),
      notifications: (s: Awaited<ReturnType<typeof readSettings>>) => presentNotifications(s.row),
      onboarding: (s: Awaited<ReturnType<typeof readSettings>>) => presentOnboarding(s.user.onboarding_status, s.row),
      'public-settings': (s: Awaited<ReturnType<typeof readSettings>>) => presentPublicSettings(s.row),
    };
    const update = {
      preferences: updatePreferences,
      notifications: updateNotifications,
      onboarding: updateOnboarding,
      'public-settings': updatePublicSettings,
    } as Record<(typeof settings)[number]['path'], (ctx: AppContext, userId: string, body: never) => Promise<unknown>>;

    for (const setting of settings) {
      const [getCode, patchCode] = setting.codes.split('/');
      app.get(`/:userId/${setting.path}`, {
        ...selfOrAdmin,
        schema: {
          operationId: `getUser${setting.name}`,
          tags,
          summary: `${getCode} — ${setting.path}`,
          params: UserParams,
          response: { 200: setting.schema, ...errorResponses(400, 401, 403, 404) },
        },
        handler: async (request) => present[setting.path](await readSettings(ctx, (request.params as { userId: string }).userId)),
      });
      app.patch(`/:userId/${setting.path}`, {
        ...selfOrAdmin,
        schema: {
          operationId: `updateUser${setting.name}`,
          tags,
          summary: `${patchCode} — update ${setting.path} (partial; null clears)`,
          params: UserParams,
          body: setting.body,
          response: { 200: setting.schema, ...errorResponses(400, 401, 403, 404, ...(setting.path === 'public-settings' ? [409] : [])) },
        },
        handler: async (request) => (await update[setting.path](ctx, (request.params as { userId: string }).userId, request.body as never)) as never,
      });
    }
  };
}
