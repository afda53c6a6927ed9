import type { Updateable } from 'kysely';
import type { Db } from '../db/transaction.js';
import type { UsersTable } from '../db/types.js';

export type UserRow = UsersTable;

export function findUserById(db: Db, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findLiveUserByEmail(db: Db, emailNormalized: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where('email_normalized', '=', emailNormalized)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

export function insertUser(db: Db, row: UserRow) {
  return db.insertInto('users').values(row).execute();
}

export function updateUser(db: Db, id: string, patch: Updateable<UsersTable>) {
  return db.updateTable('users').set(patch).where('id', '=', id).execute();
}

export async function countLiveAdmins(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('role', '=', 'admin')
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export function insertAccount(db: Db, row: { id: string; user_id: string; provider: string; provider_account_id: string; email: string | null; created_at: number }) {
  return db.insertInto('accounts').values(row).execute();
}

export function deleteAccountsOfUser(db: Db, userId: string) {
  return db.deleteFrom('accounts').where('user_id', '=', userId).execute();
}
