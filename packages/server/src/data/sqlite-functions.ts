import type SQLiteDatabase from 'better-sqlite3';
import { regexMatches } from '../rls/regex.js';

/**
 * SQLite has no regular expressions of its own: `$regex` (§7.11) calls this RE2 matcher (linear time,
 * D-34). Registered on every SQLite connection by db/connect.ts.
 */
export function registerDataSqlFunctions(sqlite: SQLiteDatabase.Database): void {
  sqlite.function('latch_regexp', { deterministic: true }, (pattern: unknown, value: unknown) =>
    typeof pattern === 'string' && regexMatches(pattern, value) ? 1 : 0,
  );
}
