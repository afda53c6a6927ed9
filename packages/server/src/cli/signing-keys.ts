import type { Config } from '../config/load-config.js';
import { RELOAD_INTERVAL_MS } from '../tokens/signing-keys.js';
import { CliError, parseOptions, type Output } from './main.js';
import { openCliContext } from './open-cli-context.js';

const iso = (ms: number) => new Date(ms).toISOString();
const FOLLOW = `running servers follow within ${RELOAD_INTERVAL_MS / 1000} s`;

/** `latch signing-keys list|rotate|retire KID`: the ES256 keys behind access tokens and the JWKS. */
export async function runSigningKeys(config: Config, args: string[], io: Output): Promise<number> {
  const { positionals } = parseOptions(args, {});
  const [action, target, ...extra] = positionals;
  if (!['list', 'rotate', 'retire'].includes(action ?? '')) throw new CliError('signing-keys: expected list, rotate or retire');
  if (action === 'retire' && !target) throw new CliError('signing-keys retire: give the key id (kid) from signing-keys list');
  if (extra.length > 0 || (action !== 'retire' && target)) throw new CliError(`signing-keys ${action}: unexpected argument "${extra[0] ?? target}"`);
  const opened = await openCliContext(config);
  try {
    const { keys } = opened.ctx;
    if (action === 'list') {
      io.out(['kid', 'alg', 'created', 'status', 'signs from', 'verifies until'].join('\t'));
      for (const key of await keys.list()) {
        io.out([key.kid, key.alg, iso(key.createdAt), key.status, iso(key.signsFrom), key.verifiesUntil === null ? '-' : iso(key.verifiesUntil)].join('\t'));
      }
      return 0;
    }
    if (action === 'rotate') {
      const { kid, signsFrom, previousVerifyUntil } = await keys.rotate();
      io.out(`New signing key ${kid}: published now, signs from ${iso(signsFrom)}; the key it replaces verifies until ${iso(previousVerifyUntil)}.`);
      return 0;
    }
    const outcome = await keys.retire(target!);
    if (!outcome) throw new CliError(`signing-keys retire: no live key with kid "${target}"`);
    io.out(
      `Retired ${target}: tokens it signed are refused (${FOLLOW})` +
        (outcome.replacedBy ? `; new signing key ${outcome.replacedBy}, signing now (apps holding an old token get 401 and refresh).` : '.'),
    );
    return 0;
  } finally {
    await opened.close();
  }
}
