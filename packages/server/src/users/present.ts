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
