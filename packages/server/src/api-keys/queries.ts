import type { Db } from '../db/transaction.js';
import type { ApiKeysTable } from '../db/types.js';

export type ApiKeyRow = ApiKeysTable;

export function insertApiKey(db: Db, row: ApiKeyRow) {
  return db.insertInto('api_keys').values(row).execute();
}

export function findApiKeyByHash(db: Db, keyHash: string) {
  return db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

export function listApiKeys(db: Db) {
  return db.selectFrom('api_keys').selectAll().orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
}

export function countApiKeys(db: Db) {
  return db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
}

export async function revokeApiKey(db: Db, idOrPrefix: string, now: number) {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('display_prefix', '=', idOrPrefix)]))
    .where('revoked_at', 'is', null)
    .returning(['id', 'key_hash'])
    .execute();
  return result;
}

export function touchApiKey(db: Db, id: string, now: number) {
  return db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}
