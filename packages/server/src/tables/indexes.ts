import { DefinitionError, SYSTEM_FIELDS, type IndexDefinition, type TableDefinition } from './definition.js';

const INDEX_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * §8.5 / MCP index object: `name`, `fields` (`1` ascending, `-1` descending, several keys = compound),
 * `unique` and `sparse` (default false). Keys are declared scalar fields or system fields: an index on a
 * field the schema does not type could not be a plain SQL index.
 */
export function normalizeIndex(input: unknown, table: Pick<TableDefinition, 'columns'>): IndexDefinition {
  if (!isPlainObject(input)) throw new DefinitionError('an index must be { name, fields, unique?, sparse? }');
  const { name, unique = false, sparse = false } = input;
  const fields = input.fields ?? input.key;
  if (typeof name !== 'string' || !INDEX_NAME.test(name)) throw new DefinitionError('index name must start with a letter and hold at most 64 letters, digits, _ or -');
  if (!isPlainObject(fields) || Object.keys(fields).length === 0 || Object.keys(fields).length > 16) {
    throw new DefinitionError(`index "${name}": fields must map 1–16 field names to 1 or -1`);
  }
  const out: Record<string, 1 | -1> = {};
  for (const [field, order] of Object.entries(fields)) {
    if (order !== 1 && order !== -1) throw new DefinitionError(`index "${name}": field "${field}" must be 1 or -1`);
    const system = (SYSTEM_FIELDS as readonly string[]).includes(field);
    const column = Object.hasOwn(table.columns, field) ? table.columns[field] : undefined;
    if (!system && !column) throw new DefinitionError(`index "${name}": "${field}" is not a declared field`);
    if (column?.storage === 'json') throw new DefinitionError(`index "${name}": objects and arrays cannot be indexed`);
    out[field] = order;
  }
  if (typeof unique !== 'boolean' || typeof sparse !== 'boolean') throw new DefinitionError(`index "${name}": unique and sparse must be true or false`);
  return { name, fields: out, unique, sparse };
}

export function checkIndexSet(indexes: IndexDefinition[]): void {
  if (indexes.length > 64) throw new DefinitionError('a table holds at most 64 indexes');
  const names = new Set<string>();
  const shapes = new Map<string, string>();
  for (const index of indexes) {
    if (names.has(index.name)) throw new DefinitionError(`index "${index.name}" is declared twice`);
    names.add(index.name);
    const shape = JSON.stringify([Object.entries(index.fields), index.unique, index.sparse]);
    const twin = shapes.get(shape);
    if (twin) throw new DefinitionError(`index "${index.name}" duplicates index "${twin}"`);
    shapes.set(shape, index.name);
  }
}
