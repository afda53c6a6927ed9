import type { Db } from '../db/transaction.js';
import type { SigningKeysTable } from '../db/types.js';

/** Every key, retired ones too (key-schedule.ts needs the whole order); one row per rotation, so few. */
export function listSigningKeys(db: Db) {
  return db.selectFrom('signing_keys').selectAll().execute();
}

export function insertSigningKey(db: Db, row: SigningKeysTable) {
  return db.insertInto('signing_keys').values(row).execute();
}

/** Retires a key at `now` unless it already was (by anyone, whatever their clock); answers whether it did. */
export async function retireSigningKey(db: Db, kid: string, now: number): Promise<boolean> {
  const result = await db.updateTable('signing_keys').set({ retired_at: now }).where('kid', '=', kid).where('retired_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
