import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { runKeys } from './keys.js';
import { runMigrate } from './migrate.js';
import { runServe } from './serve.js';
import { runSigningKeys } from './signing-keys.js';
import { runMcp } from './mcp.js';
import { runTables } from './tables.js';
import { runUsers } from './users.js';

const USAGE = `usage: latch <command>

  serve                                   start the server (same as npm start)
  migrate                                 apply pending database migrations and exit
  keys create --type publishable|secret [--name N] [--scopes LIST] [--expires DAYS]
  keys list                               prefix, name, type, created, last used
  keys revoke ID|PREFIX
  signing-keys list                       the ES256 keys behind access tokens: signing, next, verifying, retired
  signing-keys rotate                     a new key is published, signs ~5 min later; older ones verify until their tokens expire
  signing-keys retire KID                 a leaked key: its tokens are refused now (replaced if signing)
  users create --email E [--role admin|user|guest] [--password P] [--name N]
  users ban|unban ID|EMAIL               suspend (revokes every session) / lift the suspension
  mcp                                     MCP server over stdio (same tools as /mcp, local operator)
  tables apply FILE [--prune] [--dry-run] apply a JSON file of tables (idempotent); tables list
`;

export type Output = { out: (line: string) => void; err: (line: string) => void };
const stdio: Output = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

/** Returns the exit code; a bad variable prints one line naming it (config.md). */
export async function main(argv: string[], io: Output = stdio, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await runServe(loadConfig(env), io);
      case 'migrate':
        return await runMigrate(loadConfig(env), io);
      case 'keys':
        return await runKeys(loadConfig(env), rest, io);
      case 'signing-keys':
        return await runSigningKeys(loadConfig(env), rest, io);
      case 'mcp':
        return await runMcp(loadConfig(env), rest, io);
      case 'users':
        return await runUsers(loadConfig(env), rest, io);
      case 'tables':
        return await runTables(loadConfig(env), rest, io);
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return command === undefined ? 1 : 0;
      default:
        io.err(`latch: unknown command "${command}"\n${USAGE}`);
        return 1;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`latch: configuration error: ${error.message}`);
      return 1;
    }
    if (error instanceof CliError) {
      io.err(`latch: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

export class CliError extends Error {}

export function parseOptions<T extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
