import { CompiledQuery, type Kysely } from 'kysely';
import type { DialectFlags } from './dialect.js';
import type { Db } from './transaction.js';
import type { Database } from './types.js';

function numbered(sql: string, from = 0): string {
  let n = from;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function placeholders(sql: string): number {
  return sql.split('?').length - 1;
}

// PostgreSQL text of every hot statement → the name it is prepared under (nameHotStatements).
const PREPARED = new Map<string, string>();

function prepared(postgresText: string): string {
  if (!PREPARED.has(postgresText)) PREPARED.set(postgresText, `latch_hot_${PREPARED.size + 1}`);
  return postgresText;
}

type QueryFn = (...args: unknown[]) => unknown;

/**
 * Makes a pg client run the hot statements as named prepared statements: PostgreSQL parses and plans
 * each once per connection instead of on every call (a sign-in's two statements: ~0.4 → ~0.2 ms of the
 * server's CPU). Other queries pass through untouched. Hot statements name their columns (no `*`), so a
 * column added by a later migration does not change a prepared statement's result type.
 */
export function nameHotStatements(client: { query: QueryFn }): void {
  const query = client.query.bind(client) as QueryFn;
  client.query = (...args: unknown[]) => {
    const [text, values] = args;
    const name = args.length === 2 && typeof text === 'string' && Array.isArray(values) ? PREPARED.get(text) : undefined;
    return name ? query({ name, text, values }) : query(...args);
  };
}

/**
 * A fixed SQL text run as is, skipping Kysely's builder and compiler (which cost more than running the
 * query itself): only for the few queries every sign-in or refresh runs (bench/PROFILE.md).
 * Write it with `?` placeholders; PostgreSQL gets `$1…$n` and runs it as a named prepared statement
 * (nameHotStatements), so name the columns rather than `*`. Dialect-only clauses go in `postgresSuffix`.
 */
export class HotQuery<Row> {
  private readonly text: Record<DialectFlags['name'], string>;

  constructor(sql: string, options: { postgresSuffix?: string } = {}) {
    const postgres = prepared(numbered(sql) + (options.postgresSuffix ? ` ${options.postgresSuffix}` : ''));
    this.text = { sqlite: sql, postgres };
  }

  async rows(db: Db, dialect: DialectFlags, parameters: readonly unknown[]): Promise<Row[]> {
    return (await this.run(db, dialect, parameters)).rows;
  }

  async first(db: Db, dialect: DialectFlags, parameters: readonly unknown[]): Promise<Row | undefined> {
    return (await this.rows(db, dialect, parameters))[0];
  }

  /** Rows changed by an UPDATE or DELETE. */
  async changes(db: Db, dialect: DialectFlags, parameters: readonly unknown[]): Promise<number> {
    return Number((await this.run(db, dialect, parameters)).numAffectedRows ?? 0n);
  }

  private run(db: Db, dialect: DialectFlags, parameters: readonly unknown[]) {
    return db.executeQuery<Row>(CompiledQuery.raw(this.text[dialect.name], [...parameters]));
  }
}

/** The column names of a row type, listed once and checked complete by the compiler. */
export function columnsOf<Row>(all: Record<keyof Row & string, true>): readonly (keyof Row & string)[] {
  return Object.keys(all) as (keyof Row & string)[];
}

/**
 * A fixed insert of a whole row, for a HotBatch: `sql` is `insert into table (a, b, …) values (?, ?, …)`
 * and `values(row)` the row's values in that column order.
 */
export class HotInsert<Row> {
  readonly sql: string;

  constructor(table: string, private readonly columns: readonly (keyof Row & string)[]) {
    this.sql = `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`;
  }

  values(row: Row): unknown[] {
    return this.columns.map((column) => row[column]);
  }
}

const BEGIN = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/**
 * Several writes that commit together or not at all, as fixed SQL (see HotQuery). PostgreSQL runs them
 * as one statement (`with w1 as (…), w2 as (…) …`): one round trip instead of five (begin, each write,
 * commit), atomic without a transaction block. Its sub-statements share one snapshot and cannot see each
 * other's rows, so a batch only suits writes that do not read what an earlier one wrote (foreign keys
 * are checked at the end of the statement and do see them). SQLite runs them in one transaction on its
 * single connection, taken from Kysely so no other transaction is open on it meanwhile.
 */
export class HotBatch {
  private readonly sqlite: string[];
  private readonly postgres: string;

  constructor(statements: readonly string[]) {
    if (statements.length === 0) throw new Error('HotBatch needs at least one statement');
    this.sqlite = [...statements];
    let n = 0;
    const parts = statements.map((statement) => {
      const text = numbered(statement, n);
      n += placeholders(statement);
      return text;
    });
    const last = parts.pop()!;
    this.postgres = prepared(parts.length === 0 ? last : `with ${parts.map((part, i) => `w${i + 1} as (${part})`).join(', ')} ${last}`);
  }

  /** `parameters[i]` belongs to statement i. */
  async run(db: Kysely<Database>, dialect: DialectFlags, parameters: readonly (readonly unknown[])[]): Promise<void> {
    if (parameters.length !== this.sqlite.length) throw new Error(`HotBatch: ${this.sqlite.length} statements, ${parameters.length} parameter lists`);
    if (dialect.name === 'postgres') {
      await db.executeQuery(CompiledQuery.raw(this.postgres, parameters.flat()));
      return;
    }
    await db.getExecutor().provideConnection(async (connection) => {
      await connection.executeQuery(BEGIN);
      try {
        for (let i = 0; i < this.sqlite.length; i++) await connection.executeQuery(CompiledQuery.raw(this.sqlite[i]!, [...parameters[i]!]));
        await connection.executeQuery(COMMIT);
      } catch (error) {
        await connection.executeQuery(ROLLBACK).catch(() => {});
        throw error;
      }
    });
  }
}
