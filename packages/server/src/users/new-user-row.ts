import { uuidv7 } from '../crypto/random.js';
import type { UsersTable } from '../db/types.js';

export interface NewUser {
  email: string;
  normalized: string;
  name: string;
  role?: UsersTable['role'];
  passwordHash?: string | null;
  /** Set when the address is proven (magic link, verified provider email, operator-created). */
  emailVerified?: boolean;
  image?: string | null;
  /** Created by signing in (sign-up, magic link, OAuth) rather than by an operator. */
  signedIn?: boolean;
}

/** The one place a `users` row is assembled; every creation path fills the same defaults. */
export function newUserRow(now: number, input: NewUser): UsersTable {
  return {
    id: uuidv7(now),
    email: input.email,
    email_normalized: input.normalized,
    name: input.name,
    nickname: null,
    role: input.role ?? 'user',
    email_verified_at: input.emailVerified ? now : null,
    image: input.image ?? null,
    onboarding_status: 'pending',
    password_hash: input.passwordHash ?? null,
    password_changed_at: input.passwordHash ? now : null,
    mfa_enabled: 0,
    banned_at: null,
    deleted_at: null,
    last_sign_in_at: input.signedIn ? now : null,
    created_at: now,
    updated_at: now,
  };
}
