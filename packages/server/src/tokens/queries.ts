import type { Db } from '../db/transaction.js';
import type { SigningKeysTable } from '../db/types.js';

export function listLiveSigningKeys(db: Db) {
  return db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').execute();
}

export function insertSigningKey(db: Db, row: SigningKeysTable) {
  return db.insertInto('signing_keys').values(row).execute();
}
