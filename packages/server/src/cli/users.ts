import { randomBytes } from 'node:crypto';
import type { Config } from '../config/load-config.js';
import { isAppError } from '../errors/app-error.js';
import { createUser, ROLES, type Role } from '../users/create-user.js';
import { CliError, parseOptions, type Output } from './main.js';
import { openCliContext } from './open-cli-context.js';

export async function runUsers(config: Config, args: string[], io: Output): Promise<number> {
  const { positionals, values } = parseOptions(args, {
    email: { type: 'string' },
    role: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
  });
  if (positionals[0] !== 'create') throw new CliError('users: expected create');
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
