import { readFileSync } from 'node:fs';
import type { Config } from '../config/load-config.js';
import { AppError } from '../errors/app-error.js';
import { applyTables } from '../tables/apply.js';
import { listTables } from '../tables/service.js';
import { CliError, parseOptions, type Output } from './main.js';
import { openCliContext } from './open-cli-context.js';

/**
 * `latch tables apply FILE [--prune] [--dry-run]` and `latch tables list` (decisions.md §4, §6).
 * An unreadable or invalid file exits 1 and changes nothing.
 */
export async function runTables(config: Config, args: string[], io: Output): Promise<number> {
  const { positionals, values } = parseOptions(args, { prune: { type: 'boolean' }, 'dry-run': { type: 'boolean' } });
  const [action, path] = positionals;
  if (action !== 'apply' && action !== 'list') throw new CliError('tables: expected apply FILE [--prune] [--dry-run], or list');
  let file: unknown;
  if (action === 'apply') {
    if (!path) throw new CliError('tables apply: give the JSON file of tables');
    try {
      file = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new CliError(`tables apply: cannot read ${path}: ${(error as Error).message}`);
    }
  }
  const opened = await openCliContext(config);
  try {
    if (action === 'list') {
      io.out(['name', 'id', 'rows', 'fields', 'indexes', 'schema v', 'index v'].join('\t'));
      for (const t of await listTables(opened.ctx)) {
        io.out([t.tableName, t.id, t.documentCount, Object.keys(t.schema.properties).length, t.indexes.length, t.schemaVersion, t.indexVersion].join('\t'));
      }
      return 0;
    }
    const dryRun = values['dry-run'] ?? false;
    const report = await applyTables(opened.ctx, file, { prune: values.prune ?? false, dryRun }, 'cli');
    for (const line of report.changes) io.out(line);
    io.out(`${report.changes.length} change(s)${dryRun ? ' (dry run, nothing applied)' : report.applied ? ' applied' : ''}`);
    return 0;
  } catch (error) {
    if (error instanceof AppError) throw new CliError(`tables ${action}: ${error.message}`);
    throw error;
  } finally {
    await opened.close();
  }
}
