import { createApiKey, listKeys, revokeKey } from '../api-keys/api-keys.js';
import type { Config } from '../config/load-config.js';
import { CliError, parseOptions, type Output } from './main.js';
import { openCliContext } from './open-cli-context.js';

export async function runKeys(config: Config, args: string[], io: Output): Promise<number> {
  const { positionals, values } = parseOptions(args, {
    type: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string' },
    expires: { type: 'string' },
  });
  const [action, target] = positionals;
  if (!['create', 'list', 'revoke'].includes(action ?? '')) throw new CliError('keys: expected create, list or revoke');
  const opened = await openCliContext(config);
  try {
    const { ctx } = opened;
    if (action === 'create') {
      if (values.type !== 'publishable' && values.type !== 'secret') throw new CliError('keys create: --type must be publishable or secret');
      const scopes = values.scopes?.split(',').map((s) => s.trim()).filter(Boolean);
      if (scopes && scopes.some((s) => !/^[^:\s]+:[^:\s]+$/.test(s))) throw new CliError('keys create: --scopes takes table:operation pairs, e.g. posts:read,*:list');
      const expires = values.expires === undefined ? undefined : Number(values.expires);
      if (expires !== undefined && !(Number.isInteger(expires) && expires > 0)) throw new CliError('keys create: --expires takes a whole number of days');
      const { key, record } = await createApiKey(ctx, { type: values.type, name: values.name, scopes, expiresInDays: expires });
      io.out(key);
      io.err(`Created ${record.type} key ${record.id} (${record.prefix}…). It is shown only once.`);
      return 0;
    }
    if (action === 'list') {
      const keys = await listKeys(ctx);
      io.out(['id', 'prefix', 'name', 'type', 'created', 'last used', 'status'].join('\t'));
      for (const k of keys) {
        io.out([k.id, `${k.prefix}…`, k.name, k.type, k.createdAt, k.lastUsedAt ?? '-', k.revokedAt ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= ctx.clock.now() ? 'expired' : 'active'].join('\t'));
      }
      return 0;
    }
    if (!target) throw new CliError('keys revoke: give the key id or prefix');
    const count = await revokeKey(ctx, target);
    if (count === 0) throw new CliError(`keys revoke: no active key with id or prefix "${target}"`);
    io.out(`Revoked ${count} key(s)`);
    return 0;
  } finally {
    await opened.close();
  }
}
