import { RE2JS } from 're2js';
import type { StorageClass } from '../data/storage-dialect.js';
import type { TablePolicy } from '../rls/policy.js';

/** Stored field types (data-and-rls.md §8.2); authoring also accepts the abstract names. */
export const BSON_TYPES = ['string', 'int', 'double', 'bool', 'date', 'object', 'array'] as const;
export type BsonType = (typeof BSON_TYPES)[number];

const ABSTRACT: Record<string, BsonType> = {
  string: 'string',
  number: 'double', // an abstract "number" accepts any number; declare "int" to refuse fractions
  boolean: 'bool',
  date: 'date',
  object: 'object',
  array: 'array',
  reference: 'string', // D-30: the row id as a string, the target table kept as metadata
  int: 'int',
  double: 'double',
  bool: 'bool',
  long: 'int',
  decimal: 'double',
};

export interface FieldSchema {
  bsonType: BsonType;
  description?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: Array<string | number | boolean>;
  items?: FieldSchema;
  properties?: Record<string, FieldSchema>;
  required?: string[];
  default?: unknown;
  unique?: boolean;
  /** D-30: the table a `reference` field points to (no integrity check, no cascade, §7.14). */
  reference?: string;
}

export interface TableSchema {
  bsonType: 'object';
  required: string[];
  properties: Record<string, FieldSchema>;
}

export interface ColumnInfo {
  column: string;
  storage: StorageClass;
}

export interface IndexDefinition {
  name: string;
  fields: Record<string, 1 | -1>;
  unique: boolean;
  sparse: boolean;
}

/** One data table as the service, the Data API and RLS see it. */
export interface TableDefinition {
  id: string;
  name: string;
  displayName: string | null;
  description: string | null;
  schema: TableSchema;
  /** Declared field → physical column. */
  columns: Record<string, ColumnInfo>;
  indexes: IndexDefinition[];
  policy: TablePolicy;
  schemaVersion: number;
  indexVersion: number;
  createdAt: number;
  updatedAt: number;
}

export class DefinitionError extends Error {}

export const SYSTEM_FIELDS = ['id', 'createdBy', 'createdAt', 'updatedAt'] as const;
const SYSTEM_FIELD_SET = new Set<string>([...SYSTEM_FIELDS, '_id']);
/** §8.4: starts with a letter; letters, digits, underscore. */
export const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** §8.1 for ordinary tables; `_` names are system tables that only operators create (D-38). */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** D-32 (+ decisions.md §4 `admin`): shorthand names of other APIs, and the platform's built-in tables (D-16). */
export const RESERVED_TABLE_NAMES = new Set(['data', 'auth', 'users', 'files', 'admin', 'mcp', 'accounts', 'sessions', 'uploads', 'health', 'docs', 'openapi']);

export function storageOf(bsonType: BsonType): StorageClass {
  switch (bsonType) {
    case 'string':
      return 'text';
    case 'date':
      return 'date';
    case 'int':
    case 'double':
      return 'number';
    case 'bool':
      return 'bool';
    case 'object':
    case 'array':
      return 'json';
  }
}

export function checkTableName(name: unknown): string {
  if (typeof name !== 'string' || !TABLE_NAME.test(name)) {
    throw new DefinitionError('tableName must start with a letter (or _ for system tables) and hold at most 64 letters, digits, _ or -');
  }
  if (RESERVED_TABLE_NAMES.has(name)) throw new DefinitionError(`tableName "${name}" is reserved`);
  return name;
}

export function isSystemTableName(name: string): boolean {
  return name.startsWith('_') || RESERVED_TABLE_NAMES.has(name);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * MCP M-8: a schema is either a bare map `field → { bsonType }` or `{ bsonType: "object", required,
 * properties }`. Types may be abstract or bsonType names (§8.2); the result always uses bsonType names.
 */
export function normalizeSchema(input: unknown): TableSchema {
  if (input === undefined || input === null) return { bsonType: 'object', required: [], properties: {} };
  if (!isPlainObject(input)) throw new DefinitionError('schema must be an object');
  const full = isPlainObject(input.properties) && (input.bsonType === 'object' || input.type === 'object' || input.bsonType === undefined);
  const rawProperties = full ? (input.properties as Record<string, unknown>) : input;
  const properties: Record<string, FieldSchema> = {};
  for (const [name, field] of Object.entries(rawProperties)) {
    if (!full && (name === 'bsonType' || name === 'required')) continue;
    checkFieldName(name);
    properties[name] = normalizeField(name, field, 0);
  }
  if (Object.keys(properties).length > 500) throw new DefinitionError('a table holds at most 500 fields');
  const required = full && input.required !== undefined ? normalizeRequired(input.required, properties, 'schema.required') : [];
  return { bsonType: 'object', required, properties };
}

export function checkFieldName(name: string): void {
  if (SYSTEM_FIELD_SET.has(name)) throw new DefinitionError(`field "${name}" is a system field`);
  if (!FIELD_NAME.test(name)) throw new DefinitionError(`field name "${name}" must start with a letter and hold only letters, digits and _ (max 64)`);
}

function normalizeRequired(value: unknown, properties: Record<string, FieldSchema>, where: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new DefinitionError(`${where} must be an array of field names`);
  for (const name of value as string[]) {
    if (!Object.hasOwn(properties, name)) throw new DefinitionError(`${where}: "${name}" is not a declared field`);
  }
  return [...new Set(value as string[])];
}

export function normalizeField(name: string, input: unknown, depth: number): FieldSchema {
  if (depth > 8) throw new DefinitionError(`field "${name}" is nested too deeply`);
  const raw = typeof input === 'string' ? { type: input } : input;
  if (!isPlainObject(raw)) throw new DefinitionError(`field "${name}" must be an object with a bsonType`);
  const typeName = raw.bsonType ?? raw.type;
  // Own entries only: a type named "constructor" or "toString" is unknown, not Object.prototype's member.
  const bsonType = typeof typeName === 'string' && Object.hasOwn(ABSTRACT, typeName) ? ABSTRACT[typeName] : undefined;
  if (!bsonType) throw new DefinitionError(`field "${name}": unknown type ${JSON.stringify(typeName)} (expected ${BSON_TYPES.join(', ')} or string, number, boolean, date, object, array, reference)`);
  const field: FieldSchema = { bsonType };
  if (typeName === 'reference' || raw.reference !== undefined || raw.target !== undefined) {
    if (bsonType !== 'string') throw new DefinitionError(`field "${name}": only string fields can be references`);
    const target = raw.reference ?? raw.target ?? raw.ref;
    if (target !== undefined && (typeof target !== 'string' || target.length === 0 || target.length > 64)) {
      throw new DefinitionError(`field "${name}": reference must name a table`);
    }
    field.reference = (target as string | undefined) ?? '';
  }
  if (raw.description !== undefined) {
    if (typeof raw.description !== 'string') throw new DefinitionError(`field "${name}": description must be a string`);
    field.description = raw.description;
  }
  const numberKey = (key: 'minLength' | 'maxLength' | 'minimum' | 'maximum', integer: boolean) => {
    const value = raw[key];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && (!Number.isInteger(value) || value < 0))) {
      throw new DefinitionError(`field "${name}": ${key} must be a ${integer ? 'non-negative integer' : 'number'}`);
    }
    field[key] = value;
  };
  if (raw.pattern !== undefined || raw.minLength !== undefined || raw.maxLength !== undefined) {
    if (bsonType !== 'string') throw new DefinitionError(`field "${name}": pattern, minLength and maxLength apply to strings only`);
    if (raw.pattern !== undefined) field.pattern = checkPattern(name, raw.pattern);
    numberKey('minLength', true);
    numberKey('maxLength', true);
  }
  if (raw.minimum !== undefined || raw.maximum !== undefined) {
    if (bsonType !== 'int' && bsonType !== 'double') throw new DefinitionError(`field "${name}": minimum and maximum apply to int and double only`);
    numberKey('minimum', false);
    numberKey('maximum', false);
  }
  if (raw.enum !== undefined) {
    const scalarType = bsonType === 'string' ? 'string' : bsonType === 'bool' ? 'boolean' : bsonType === 'int' || bsonType === 'double' ? 'number' : null;
    if (!scalarType || !Array.isArray(raw.enum) || raw.enum.length === 0 || raw.enum.some((v) => typeof v !== scalarType)) {
      throw new DefinitionError(`field "${name}": enum must be a non-empty array of ${scalarType ?? 'scalar'} values`);
    }
    field.enum = [...raw.enum] as FieldSchema['enum'];
  }
  if (raw.items !== undefined) {
    if (bsonType !== 'array') throw new DefinitionError(`field "${name}": items applies to arrays only`);
    field.items = normalizeField(`${name}[]`, raw.items, depth + 1);
  }
  if (raw.properties !== undefined) {
    if (bsonType !== 'object' || !isPlainObject(raw.properties)) throw new DefinitionError(`field "${name}": properties applies to objects only`);
    field.properties = {};
    for (const [child, schema] of Object.entries(raw.properties)) {
      if (!FIELD_NAME.test(child)) throw new DefinitionError(`field "${name}.${child}": invalid field name`);
      field.properties[child] = normalizeField(`${name}.${child}`, schema, depth + 1);
    }
    if (raw.required !== undefined) field.required = normalizeRequired(raw.required, field.properties, `field "${name}".required`);
  }
  if (raw.unique !== undefined) {
    if (typeof raw.unique !== 'boolean') throw new DefinitionError(`field "${name}": unique must be true or false`);
    if (raw.unique && storageOf(bsonType) === 'json') throw new DefinitionError(`field "${name}": objects and arrays cannot be unique`);
    if (raw.unique) field.unique = true;
  }
  if (raw.default !== undefined) field.default = raw.default; // checked against the field by the caller
  return field;
}

/** Patterns run on RE2 (linear time, D-34); a pattern RE2 cannot compile is refused when saved. */
function checkPattern(name: string, pattern: unknown): string {
  if (typeof pattern !== 'string' || pattern.length > 256) throw new DefinitionError(`field "${name}": pattern must be a string of at most 256 characters`);
  try {
    RE2JS.compile(pattern);
  } catch (error) {
    throw new DefinitionError(`field "${name}": pattern is not a valid RE2 expression (${(error as Error).message})`);
  }
  return pattern;
}
