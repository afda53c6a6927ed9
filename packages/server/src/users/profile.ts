import { Type } from '@sinclair/typebox';
import type { AppContext } from '../context.js';
import type { UsersTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import type { Access } from './access.js';
import { parseBio, parseMobile, parseNickname, parseSocialLink, parseUserName, SOCIAL_KEYS, GENDERS } from './field-rules.js';
import { findLiveUser, findProfile, updateUser, upsertProfile, type ProfilePatch } from './queries.js';
import type { UserProfilesTable } from './tables.js';

const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const SocialLinks = Type.Object({
  github: Type.Optional(nullable(Type.String())),
  twitter: Type.Optional(nullable(Type.String())),
  linkedin: Type.Optional(nullable(Type.String())),
});

/** `Profile` (auth-api.md U07); `email` and `mobile` are left out of another user's public view. */
export const ProfileSchema = Type.Object({
  name: Type.String(),
  nickname: nullable(Type.String()),
  email: Type.Optional(Type.String()),
  mobile: Type.Optional(nullable(Type.String())),
  gender: nullable(Type.String()),
  bio: nullable(Type.String()),
  socialLinks: Type.Union([SocialLinks, Type.Null()]),
});

/** U08 body: every field optional; `null` clears; unknown fields (e.g. `email`, `role`) are ignored. */
export const ProfilePatchBody = Type.Object({
  name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  nickname: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  mobile: Type.Optional(nullable(Type.String())),
  gender: Type.Optional(Type.Union([...GENDERS.map((g) => Type.Literal(g)), Type.Null()])),
  bio: Type.Optional(nullable(Type.String())),
  socialLinks: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
});

type Profile = typeof ProfileSchema.static;

function socialLinks(row: UserProfilesTable | undefined) {
  if (!row || (row.social_github === null && row.social_twitter === null && row.social_linkedin === null)) return null;
  return { github: row.social_github, twitter: row.social_twitter, linkedin: row.social_linkedin };
}

export function presentProfile(user: UsersTable, row: UserProfilesTable | undefined, view: 'full' | 'public'): Profile {
  const base = {
    name: user.name,
    nickname: user.nickname,
    gender: row?.gender ?? null,
    bio: row?.bio ?? null,
    socialLinks: socialLinks(row),
  };
  return view === 'full' ? { ...base, email: user.email, mobile: row?.mobile ?? null } : base;
}

/**
 * U07: self and admins read the full profile; another user reads it only when its owner made it
 * public (`isPublic`, U19), and then without `email` and `mobile` (auth-api.md §7 [P]).
 */
export async function getProfile(ctx: AppContext, userId: string, access: Access): Promise<Profile> {
  const user = await findLiveUser(ctx.db, userId);
  if (!user) throw new AppError('user/not-found', 'No such user');
  const row = await findProfile(ctx.db, userId);
  if (access !== 'other') return presentProfile(user, row, 'full');
  if (!row || row.is_public !== 1) throw new AppError('user/forbidden', 'This profile is not public');
  return presentProfile(user, row, 'public');
}

/** U08: partial update; `name`/`nickname` live on the user row, the rest on the profile row. */
export async function updateProfile(ctx: AppContext, userId: string, body: typeof ProfilePatchBody.static): Promise<Profile> {
  const userPatch: Partial<Pick<UsersTable, 'name' | 'nickname'>> = {};
  if (body.name !== undefined) userPatch.name = parseUserName(body.name);
  if (body.nickname !== undefined) userPatch.nickname = parseNickname(body.nickname);
  const patch: ProfilePatch = {};
  if (body.mobile !== undefined) patch.mobile = parseMobile(body.mobile);
  if (body.gender !== undefined) patch.gender = body.gender;
  if (body.bio !== undefined) patch.bio = parseBio(body.bio);
  if (body.socialLinks !== undefined) {
    // RFC 7396 merge: `socialLinks: null` clears all three, a key set to null clears that one, an
    // absent key keeps its value; keys other than the three are dropped (decisions.md §5).
    const links = body.socialLinks as Record<string, unknown> | null;
    for (const key of SOCIAL_KEYS) {
      const column = `social_${key}` as const;
      if (links === null) patch[column] = null;
      else if (Object.hasOwn(links, key)) patch[column] = parseSocialLink(key, links[key]);
    }
  }
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await findLiveUser(trx, userId))) throw new AppError('user/not-found', 'No such user');
    if (Object.keys(userPatch).length > 0) await updateUser(trx, userId, { ...userPatch, updated_at: now });
    if (Object.keys(patch).length > 0) await upsertProfile(trx, userId, patch, now);
  });
  ctx.cache.forgetUser(userId);
  return getProfile(ctx, userId, 'self');
}
