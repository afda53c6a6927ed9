import { CompiledQuery } from 'kysely';
import type { DialectFlags } from './dialect.js';
import type { Db } from './transaction.js';

/**
 * A fixed SQL text run as is, skipping Kysely's builder and compiler (which cost more than running the
 * query itself): only for the few queries every refresh or token check runs (bench/PROFILE.md). Write it
 * with `?` placeholders; PostgreSQL gets `$1…$n`. Dialect-only clauses go in `postgresSuffix`.
 */
export class HotQuery<Row> {
  private readonly text: Record<DialectFlags['name'], string>;

  constructor(sql: string, options: { postgresSuffix?: string } = {}) {
    let n = 0;
    const postgres = sql.replace(/\?/g, () => `$${++n}`) + (options.postgresSuffix ? ` ${options.postgresSuffix}` : '');
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
