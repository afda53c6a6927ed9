import { parseEmail } from '../auth/email-address.js';
import { newUserRow } from './new-user-row.js';
import { emailSettings } from '../auth/email-settings.js';
import { assertPasswordAcceptable } from '../auth/password-policy.js';
import { parseName } from '../auth/user-name.js';
import type { AppContext } from '../context.js';
import { uuidv7 } from '../crypto/random.js';
import { isUniqueViolation } from '../db/constraint-error.js';
import { AppError } from '../errors/app-error.js';
import { findLiveUserByEmail, insertAccount, insertUser, type UserRow } from './queries.js';

export const ROLES = ['admin', 'user', 'guest'] as const;
export type Role = (typeof ROLES)[number];

export interface CreateUserInput {
  email: string;
  role: Role;
  name?: string;
  password?: string;
  emailVerified?: boolean;
}

/** Operator-side creation (CLI `users create`, later U02): the password policy still applies. */
export async function createUser(ctx: AppContext, input: CreateUserInput): Promise<UserRow> {
  if (!ROLES.includes(input.role)) throw new AppError('user/invalid-role', 'role must be admin, user or guest');
  const { email, normalized } = parseEmail(input.email);
  const name = parseName(input.name ?? email.split('@')[0]);
  if (input.password !== undefined) assertPasswordAcceptable(input.password, (await emailSettings(ctx)).passwordPolicy);
  if (await findLiveUserByEmail(ctx.db, normalized)) throw new AppError('auth/email-already-exists', 'An account with this email already exists');
  const now = ctx.clock.now();
  const passwordHash = input.password === undefined ? null : await ctx.passwords.hash(input.password);
  const user: UserRow = newUserRow(now, { email, normalized, name, role: input.role, passwordHash, emailVerified: input.emailVerified });
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await insertUser(trx, user);
      if (user.password_hash) {
        await insertAccount(trx, { id: uuidv7(now), user_id: user.id, provider: 'email', provider_account_id: normalized, email, created_at: now });
      }
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('auth/email-already-exists', 'An account with this email already exists');
    throw error;
  }
  return user;
}
