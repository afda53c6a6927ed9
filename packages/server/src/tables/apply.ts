import { AppError } from '../errors/app-error.js';
import { DefinitionError, SYSTEM_FIELDS, type FieldSchema, type TableDefinition } from './definition.js';
import { listTableDefinitions } from './queries.js';
import { buildNewTable, invalid, mapColumns, runChanges, withIndexes, withUpdate, type Actor, type CreateTableInput, type TableChange, type TablesContext } from './service.js';

/**
 * `latch tables apply FILE [--prune] [--dry-run]` (decisions.md §4): FILE = `{ "tables": [Table without
 * id, counts, versions, timestamps] }`, matched by tableName. The whole file is checked before anything
 * runs; the difference is applied in one transaction; without `--prune` nothing is dropped (tables,
 * fields and indexes missing from the file stay); a second run reports 0 changes.
 */
export interface ApplyOptions {
  prune?: boolean;
  dryRun?: boolean;
}

export interface ApplyReport {
  changes: string[];
  applied: boolean;
}

const POLICY_KEYS = ['permissions', 'expressionPermissions', 'columnPermissions', 'rowFilters'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export async function applyTables(ctx: TablesContext, file: unknown, options: ApplyOptions, actor: Actor): Promise<ApplyReport> {
  if (!isPlainObject(file) || !Array.isArray(file.tables)) throw new AppError('common/invalid-parameters', 'The file must be { "tables": [ … ] }');
  const entries = file.tables as unknown[];
  const current = new Map((await listTableDefinitions(ctx.db)).map((def) => [def.name, def]));
  const seen = new Set<string>();
  const changes: TableChange[] = [];
  const report: string[] = [];
  const now = ctx.clock.now();

  for (const [i, entry] of entries.entries()) {
    const where = `tables[${i}]${isPlainObject(entry) && typeof entry.tableName === 'string' ? ` (${entry.tableName})` : ''}`;
    try {
      if (!isPlainObject(entry)) throw new DefinitionError('must be an object');
      // The desired table as if it were new: every part of the entry is checked the same way.
      const wanted = buildNewTable(entry as unknown as CreateTableInput, now);
      if (seen.has(wanted.name)) throw new DefinitionError('tableName appears twice in the file');
      seen.add(wanted.name);
      const existing = current.get(wanted.name);
      if (!existing) {
        changes.push({ before: null, after: wanted });
        report.push(`create table ${wanted.name}`);
        continue;
      }
      const { after, lines } = desiredState(existing, wanted, entry, options.prune ?? false);
      if (lines.length > 0) {
        changes.push({ before: existing, after });
        report.push(...lines.map((line) => `${wanted.name}: ${line}`));
      }
    } catch (error) {
      try {
        invalid(error);
      } catch (appError) {
        if (appError instanceof AppError) throw new AppError(appError.code, `${where}: ${appError.message}`);
        throw appError;
      }
    }
  }

  const deletions = options.prune ? [...current.values()].filter((def) => !seen.has(def.name)) : [];
  for (const def of deletions) report.push(`delete table ${def.name}`);
  if (options.dryRun || report.length === 0) return { changes: report, applied: false };
  await runChanges(ctx, changes, deletions, actor);
  return { changes: report, applied: true };
}

/** The existing table moved to what the file says, keeping what the file omits unless pruning. */
function desiredState(existing: TableDefinition, wanted: TableDefinition, entry: Record<string, unknown>, prune: boolean) {
  const lines: string[] = [];
  // Fields: existing ones first in their order (so an unchanged schema serializes identically).
  const properties: Record<string, FieldSchema> = {};
  for (const [name, field] of Object.entries(existing.schema.properties)) {
    const next = wanted.schema.properties[name];
    if (next) {
      properties[name] = next;
      if (!same(field, next)) lines.push(`change field ${name}`);
    } else if (prune) lines.push(`remove field ${name}`);
    else properties[name] = field;
  }
  for (const [name, field] of Object.entries(wanted.schema.properties)) {
    if (!Object.hasOwn(existing.schema.properties, name)) {
      properties[name] = field;
      lines.push(`add field ${name}`);
    }
  }
  const keptRequired = prune ? [] : existing.schema.required.filter((name) => !Object.hasOwn(wanted.schema.properties, name) && Object.hasOwn(properties, name));
  const wantedRequired = new Set([...wanted.schema.required, ...keptRequired]);
  const required = [...existing.schema.required.filter((name) => wantedRequired.has(name)), ...[...wantedRequired].filter((name) => !existing.schema.required.includes(name))];
  if (!same([...required].sort(), [...existing.schema.required].filter((n) => Object.hasOwn(properties, n)).sort())) lines.push(`required: [${required.join(', ')}]`);
  let after: TableDefinition = { ...existing, schema: { bsonType: 'object', required, properties } };
  after.columns = mapColumns(after.schema, existing.columns);

  // Indexes: replaced or added by name; missing ones dropped only when pruning.
  const removeIndexes = prune ? existing.indexes.filter((index) => !wanted.indexes.some((i) => i.name === index.name)).map((i) => i.name) : [];
  const upserts = wanted.indexes.filter((index) => !same(index, existing.indexes.find((i) => i.name === index.name)));
  for (const index of upserts) lines.push(`${existing.indexes.some((i) => i.name === index.name) ? 'change' : 'add'} index ${index.name}`);
  for (const name of removeIndexes) lines.push(`remove index ${name}`);
  after = withIndexes({ ...after, indexes: existing.indexes.filter((i) => !removeIndexes.includes(i.name)) }, { indexesToAddOrUpdate: upserts });
  for (const index of after.indexes) {
    const lost = Object.keys(index.fields).find((field) => !Object.hasOwn(properties, field) && !SYSTEM_FIELDS.includes(field as never));
    if (lost) throw new DefinitionError(`index "${index.name}" uses field "${lost}", which the file removes`);
  }

  // Display name, description and the four policy parts are declarative: absent means none.
  const update: Record<string, unknown> = {};
  if (!same(existing.displayName, wanted.displayName)) {
    update.displayName = wanted.displayName;
    lines.push('set displayName');
  }
  if (!same(existing.description, wanted.description)) {
    update.description = wanted.description;
    lines.push('set description');
  }
  for (const key of POLICY_KEYS) {
    if (!same(existing.policy[key], wanted.policy[key])) {
      update[key] = key in entry ? entry[key] : null;
      lines.push(`set ${key}`);
    }
  }
  after = withUpdate(after, update);
  return { after, lines };
}
