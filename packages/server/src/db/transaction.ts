import type { Kysely, Transaction } from 'kysely';
import { AppError } from '../errors/app-error.js';
import type { Database } from './types.js';

export type Db = Kysely<Database> | Transaction<Database>;

/**
 * Run `work` in a transaction whose writes are kept even when the outcome is an error: refresh-token
 * reuse must commit the revocation of every session and still answer 401 (supabase's
 * NewCommitWithError). `work` returns the error instead of throwing it.
 */
export async function commitThenFail<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<T | AppError>,
): Promise<T> {
  const outcome = await db.transaction().execute(work);
  if (outcome instanceof AppError) throw outcome;
  return outcome;
}
