import type { Db } from '../db/transaction.js';
import type { SigningKeysTable } from '../db/types.js';

/** Keys that still verify at `now`: never retired, or retired at a time still to come. Newest first. */
export function listLiveSigningKeys(db: Db, now: number) {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', now)]))
    .orderBy('created_at', 'desc')
    .execute();
}

export function listAllSigningKeys(db: Db) {
  return db.selectFrom('signing_keys').select(['kid', 'alg', 'created_at', 'retired_at']).orderBy('created_at', 'desc').execute();
}

export function insertSigningKey(db: Db, row: SigningKeysTable) {
  return db.insertInto('signing_keys').values(row).execute();
}

/** Every key but `keep` that would verify later than `at` now stops at `at`. */
export async function retireSigningKeysExcept(db: Db, keep: string, at: number): Promise<void> {
  await db
    .updateTable('signing_keys')
    .set({ retired_at: at })
    .where('kid', '!=', keep)
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', at)]))
    .execute();
}

/** Retires one key at `at` if it still verifies at `now`; answers whether it did. */
export async function retireSigningKey(db: Db, kid: string, at: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('signing_keys')
    .set({ retired_at: at })
    .where('kid', '=', kid)
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
