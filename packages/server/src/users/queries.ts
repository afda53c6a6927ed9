import { sql, type SqlBool, type Updateable } from 'kysely';
import type { DialectFlags } from '../db/dialect.js';
import { columnsOf, HotInsert, HotQuery } from '../db/hot-query.js';
import type { Db } from '../db/transaction.js';
import type { AccountsTable, UsersTable } from '../db/types.js';
import type { UserProfilesTable } from './tables.js';

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

// Every password sign-in starts with this lookup: fixed SQL (db/hot-query.ts), the same user row as
// above plus the settings row a sign-in checks next, in one query (one round trip on PostgreSQL).
const USER_COLUMNS = columnsOf<UserRow>({
  id: true, email: true, email_normalized: true, name: true, nickname: true, role: true, email_verified_at: true, image: true,
  onboarding_status: true, password_hash: true, password_changed_at: true, mfa_enabled: true, banned_at: true, deleted_at: true,
  last_sign_in_at: true, created_at: true, updated_at: true,
});
const signInUser = new HotQuery<UserRow & { settings_value: string | null }>(
  `select ${USER_COLUMNS.map((column) => `u.${column}`).join(', ')}, (select value from settings where key = ?) as settings_value ` +
    'from users u where u.email_normalized = ? and u.deleted_at is null',
);

/** `findLiveUserByEmail` for sign-in's hot path, with the value of the settings row `settingsKey`. */
export async function findSignInUser(db: Db, dialect: DialectFlags, emailNormalized: string, settingsKey: string) {
  const row = await signInUser.first(db, dialect, [settingsKey, emailNormalized]);
  if (!row) return undefined;
  const { settings_value: settings, ...user } = row;
  return { user: user as UserRow, settings };
}

// A password sign-up's two reads (is the address taken? the email provider's settings) in one query.
const signUpCheck = new HotQuery<{ taken_id: string | null; settings_value: string | null }>(
  'select (select id from users where email_normalized = ? and deleted_at is null) as taken_id, ' +
    '(select value from settings where key = ?) as settings_value',
);

/** Whether a live user holds `emailNormalized`, and the value of the settings row `settingsKey`. */
export async function checkSignUp(db: Db, dialect: DialectFlags, emailNormalized: string, settingsKey: string) {
  const row = (await signUpCheck.first(db, dialect, [emailNormalized, settingsKey]))!;
  return { taken: row.taken_id !== null, settings: row.settings_value };
}

/** Whole `users` and `accounts` rows, for the sign-up batch. */
export const USER_INSERT = new HotInsert<UserRow>('users', USER_COLUMNS);
export const ACCOUNT_INSERT = new HotInsert<AccountsTable>('accounts', columnsOf<AccountsTable>({
  id: true, user_id: true, provider: true, provider_account_id: true, email: true, created_at: true,
}));

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

// ---- U01 listing (issue 7): every sort walks an index of migration 0005 over live users ----

export type UserSortBy = 'createdAt' | 'updatedAt' | 'name' | 'email' | 'role';
export type SearchField = 'name' | 'nickname' | 'email';

export interface UserListQuery {
  /** Case-insensitive substring; matched against `searchFields`. */
  search?: string;
  searchFields: SearchField[];
  sortBy: UserSortBy;
  direction: 'asc' | 'desc';
  limit: number;
  offset: number;
}

// Column order of each sort = the index's column order, so the database reads it in order and stops
// after `limit` rows; the trailing id makes pages stable when values tie.
const SORT_COLUMNS: Record<UserSortBy, Array<'created_at' | 'updated_at' | 'name' | 'email_normalized' | 'role' | 'id'>> = {
  createdAt: ['created_at', 'id'],
  updatedAt: ['updated_at', 'id'],
  name: ['name', 'id'],
  email: ['email_normalized'],
  role: ['role', 'created_at', 'id'],
};

/** LIKE metacharacters in user input match literally (escape character: backslash). */
export function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function liveUsers(db: Db, query: Pick<UserListQuery, 'search' | 'searchFields'>) {
  let select = db.selectFrom('users').where('deleted_at', 'is', null);
  if (query.search !== undefined && query.search !== '' && query.searchFields.length > 0) {
    const pattern = likeContains(query.search);
    select = select.where((eb) =>
      eb.or(
        query.searchFields.map((field) =>
          field === 'email'
            ? sql<SqlBool>`${sql.ref('email_normalized')} like ${pattern} escape '\\'`
            : sql<SqlBool>`lower(${sql.ref(field)}) like ${pattern} escape '\\'`,
        ),
      ),
    );
  }
  return select;
}

export function listLiveUsers(db: Db, query: UserListQuery) {
  let select = liveUsers(db, query).selectAll();
  for (const column of SORT_COLUMNS[query.sortBy]) select = select.orderBy(column, query.direction);
  return select.limit(query.limit).offset(query.offset).execute();
}

export async function countLiveUsers(db: Db, query: Pick<UserListQuery, 'search' | 'searchFields'>): Promise<number> {
  const row = await liveUsers(db, query).select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The SQL of a listing, for the benchmark's query plans. */
export function compileListLiveUsers(db: Db, query: UserListQuery) {
  let select = liveUsers(db, query).selectAll();
  for (const column of SORT_COLUMNS[query.sortBy]) select = select.orderBy(column, query.direction);
  return select.limit(query.limit).offset(query.offset).compile();
}

export function findAccountsOfUsers(db: Db, userIds: string[]) {
  if (userIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('accounts').selectAll().where('user_id', 'in', userIds).orderBy('created_at').execute();
}

export function findLiveUser(db: Db, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
}

/**
 * Admins who can still act (live, not banned), locked on PostgreSQL so two concurrent demotions or
 * deletions serialize and the second sees the first's result (decisions.md §3: last admin).
 */
export async function lockActiveAdminIds(db: Db, lock: boolean): Promise<string[]> {
  const select = db.selectFrom('users').select('id').where('role', '=', 'admin').where('deleted_at', 'is', null).where('banned_at', 'is', null);
  return (await (lock ? select.forUpdate() : select).execute()).map((row) => row.id);
}

// ---- profile and settings (U07–U19) ----

export function findProfile(db: Db, userId: string) {
  return db.selectFrom('user_profiles').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

export type ProfilePatch = Partial<Omit<UserProfilesTable, 'user_id' | 'created_at' | 'updated_at'>>;

/** Create the row with defaults on first write; later writes change only the patched columns. */
export function upsertProfile(db: Db, userId: string, patch: ProfilePatch, now: number) {
  return db
    .insertInto('user_profiles')
    .values({ user_id: userId, ...patch, created_at: now, updated_at: now } as UserProfilesTable)
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ ...patch, updated_at: now }))
    .execute();
}

export function clearSlug(db: Db, userId: string, now: number) {
  return db.updateTable('user_profiles').set({ slug: null, updated_at: now }).where('user_id', '=', userId).where('slug', 'is not', null).execute();
}

// ---- retention (auth-api.md §8.8, OP-27) ----

export function findUsersDeletedBefore(db: Db, before: number, limit: number) {
  return db.selectFrom('users').select('id').where('deleted_at', 'is not', null).where('deleted_at', '<', before).orderBy('deleted_at').limit(limit).execute();
}

export function deleteUserRow(db: Db, id: string) {
  return db.deleteFrom('users').where('id', '=', id).where('deleted_at', 'is not', null).executeTakeFirst();
}
