/**
 * What differs between the two databases, as capability flags (STYLE §8): code asks
 * "can I lock a row?", never "is this PostgreSQL?".
 */
export interface DialectFlags {
  name: 'sqlite' | 'postgres';
  /** SELECT … FOR UPDATE serialises concurrent writers across instances. */
  rowLocks: boolean;
  /** Several processes may share the database (rate limits and caches must be shared too). */
  multiInstance: boolean;
}

export const SQLITE: DialectFlags = { name: 'sqlite', rowLocks: false, multiInstance: false };
export const POSTGRES: DialectFlags = { name: 'postgres', rowLocks: true, multiInstance: true };
