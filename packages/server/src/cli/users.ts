import { randomBytes } from 'node:crypto';
import type { Config } from '../config/load-config.js';
import { isAppError } from '../errors/app-error.js';
import { createUser, ROLES, type Role } from '../users/create-user.js';
import { setBanned } from '../users/manage-user.js';
import { findLiveUser, findLiveUserByEmail } from '../users/queries.js';
import { CliError, parseOptions, type Output } from './main.js';
import { openCliContext } from './open-cli-context.js';

export async function runUsers(config: Config, args: string[], io: Output): Promise<number> {
  const { positionals, values } = parseOptions(args, {
    email: { type: 'string' },
    role: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
  });
  if (positionals[0] === 'ban' || positionals[0] === 'unban') return runBan(config, positionals[0], positionals[1], io);
  if (positionals[0] !== 'create') throw new CliError('users: expected create, ban or unban');
  if (!values.email) throw new CliError('users create: --email is required');
  const role = (values.role ?? 'user') as Role;
  if (!ROLES.includes(role)) throw new CliError('users create: --role must be admin, user or guest');
  // Without --password, a strong one is generated and shown once (it meets every policy class).
  const generated = values.password === undefined ? `Lt-${randomBytes(18).toString('base64url')}9a!` : undefined;
  const opened = await openCliContext(config);
  try {
    const user = await createUser(opened.ctx, { email: values.email, role, name: values.name, password: values.password ?? generated, emailVerified: true });
    io.out(`Created ${role} ${user.email} (id ${user.id})`);
    if (generated) io.out(`Password (shown once): ${generated}`);
    return 0;
  } catch (error) {
    if (isAppError(error)) throw new CliError(`users create: ${error.message} (${error.code})`);
    throw error;
  } finally {
    await opened.close();
  }
}

/** `latch users ban|unban ID|EMAIL` (decisions.md §6, OP-28): same effect as U04 `banned`. */
async function runBan(config: Config, action: 'ban' | 'unban', target: string | undefined, io: Output): Promise<number> {
  if (!target) throw new CliError(`users ${action}: a user id or email is required`);
  const opened = await openCliContext(config);
  try {
    const { ctx } = opened;
    const user = target.includes('@') ? await findLiveUserByEmail(ctx.db, target.trim().toLowerCase()) : await findLiveUser(ctx.db, target);
    if (!user) throw new CliError(`users ${action}: no such user ${JSON.stringify(target.slice(0, 100))}`);
    const updated = await setBanned(ctx, user.id, action === 'ban', 'cli');
    io.out(action === 'ban' ? `Banned ${updated.email} (id ${updated.id}); every session was revoked` : `Unbanned ${updated.email} (id ${updated.id})`);
    return 0;
  } catch (error) {
    if (isAppError(error)) throw new CliError(`users ${action}: ${error.message} (${error.code})`);
    throw error;
  } finally {
    await opened.close();
  }
}
