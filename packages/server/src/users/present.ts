import { iso } from '../clock.js';
import type { UsersTable } from '../db/types.js';
import { Type } from '@sinclair/typebox';

/** `User` / `SelfUser` (auth-api.md §13). */
export const SelfUserSchema = Type.Object(
  {
    id: Type.String(),
    role: Type.String(),
    name: Type.String(),
    nickname: Type.Union([Type.String(), Type.Null()]),
    email: Type.String(),
    emailVerified: Type.Union([Type.String(), Type.Null()]),
    image: Type.Union([Type.String(), Type.Null()]),
    onboardingStatus: Type.String(),
    mfaEnabled: Type.Boolean(),
    bannedAt: Type.Union([Type.String(), Type.Null()]),
    lastSignInAt: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'SelfUser' },
);

export function presentSelfUser(user: UsersTable) {
  return {
    id: user.id,
    role: user.role,
    name: user.name,
    nickname: user.nickname,
    email: user.email,
    emailVerified: iso(user.email_verified_at),
    image: user.image,
    onboardingStatus: user.onboarding_status,
    mfaEnabled: Boolean(user.mfa_enabled),
    bannedAt: iso(user.banned_at),
    lastSignInAt: iso(user.last_sign_in_at),
    createdAt: iso(user.created_at)!,
    updatedAt: iso(user.updated_at)!,
  };
}

// The hot path's user rows come from the auth cache and are never mutated: the same row object is
// presented to every /me of its session until the cache entry ages out, so format it once.
const presentedRows = new WeakMap<UsersTable, ReturnType<typeof presentSelfUser>>();

export function presentSelfUserOnce(user: UsersTable): ReturnType<typeof presentSelfUser> {
  let view = presentedRows.get(user);
  if (!view) presentedRows.set(user, (view = presentSelfUser(user)));
  return view;
}

/** `PublicUser` (auth-api.md §13, OP-26): what any signed-in user may see of another. */
export function presentPublicUser(user: Pick<UsersTable, 'id' | 'name' | 'nickname' | 'image' | 'created_at'>) {
  return { id: user.id, name: user.name, nickname: user.nickname, image: user.image, createdAt: iso(user.created_at)! };
}

const nullableString = Type.Union([Type.String(), Type.Null()]);

/** `Account` (auth-api.md §13). */
export const AccountSchema = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  provider: Type.String(),
  providerAccountId: Type.String(),
  email: nullableString,
  connectedAt: Type.String(),
  linkedAt: Type.String(),
});

export function presentAccount(account: { id: string; user_id: string; provider: string; provider_account_id: string; email: string | null; created_at: number }) {
  const at = iso(account.created_at)!;
  return { id: account.id, userId: account.user_id, provider: account.provider, providerAccountId: account.provider_account_id, email: account.email, connectedAt: at, linkedAt: at };
}

/**
 * A `/v1/users` user as the caller may see it: `User` for self/admin, `PublicUser` for others.
 * One schema with the `PublicUser` fields required and the rest optional, so serialization keeps
 * exactly what the presenter chose and never adds a field.
 */
export const UserViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  nickname: nullableString,
  image: nullableString,
  createdAt: Type.String(),
  role: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  emailVerified: Type.Optional(nullableString),
  onboardingStatus: Type.Optional(Type.String()),
  mfaEnabled: Type.Optional(Type.Boolean()),
  bannedAt: Type.Optional(nullableString),
  lastSignInAt: Type.Optional(nullableString),
  updatedAt: Type.Optional(Type.String()),
  accounts: Type.Optional(Type.Array(AccountSchema)),
});
