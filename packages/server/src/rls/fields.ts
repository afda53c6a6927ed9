import type { TableDefinition } from '../tables/definition.js';
import type { FieldRef } from './predicate.js';

export class FieldNameError extends Error {}

// A path segment: no leading `$` (operators), no `.` (nesting), no quotes, backslashes or control
// characters (they would need escaping inside JSON paths; such names cannot be addressed).
const SEGMENT = /^[^$."\\\u0000-\u001f{},][^."\\\u0000-\u001f{},]{0,127}$/;

const SYSTEM: Record<string, FieldRef> = {
  id: { kind: 'column', field: 'id', column: 'id', storage: 'text', nullable: false },
  createdBy: { kind: 'column', field: 'createdBy', column: 'created_by', storage: 'text', nullable: false },
  createdAt: { kind: 'column', field: 'createdAt', column: 'created_at', storage: 'millis', nullable: false },
  updatedAt: { kind: 'column', field: 'updatedAt', column: 'updated_at', storage: 'millis', nullable: false },
};

/**
 * `__proto__` is refused like the other names that cannot be stored: the JSON body parser already refuses
 * it (prototype poisoning), and as an object key it would set a prototype instead of a field.
 */
export function isValidSegment(segment: string): boolean {
  return SEGMENT.test(segment) && segment !== '__proto__';
}

/**
 * A field name from a filter, sort key or search type, checked against the table's schema and turned
 * into a physical operand (never spliced into SQL). Dotted names address nested values (§7.11).
 */
export function resolveField(table: TableDefinition, name: string): FieldRef {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256) throw new FieldNameError('Field names must be 1–256 characters');
  const segments = name.split('.');
  if (!segments.every(isValidSegment)) throw new FieldNameError(`"${name}" is not a valid field name`);
  const [head, ...rest] = segments;
  // Own properties only: `constructor`, `toString`… are ordinary undeclared names, not Object.prototype's.
  if (Object.hasOwn(SYSTEM, head)) return rest.length === 0 ? SYSTEM[head] : { kind: 'absent', field: head };
  if (Object.hasOwn(table.columns, head)) {
    const column = table.columns[head];
    if (column.storage === 'json') return { kind: 'json', field: head, column: column.column, path: rest };
    if (rest.length > 0) return { kind: 'absent', field: head };
    return { kind: 'column', field: head, column: column.column, storage: column.storage, nullable: true };
  }
  // Undeclared fields are kept in the JSON column `extra` (D-27).
  return { kind: 'json', field: head, column: 'extra', path: segments };
}
