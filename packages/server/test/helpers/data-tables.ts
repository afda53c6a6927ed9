import { createApiKey } from '../../src/api-keys/api-keys.js';
import { signUp } from './factories.js';
import { createTestApp, TEST_SK, type ApiResponse, type TestApp } from './test-app.js';
import type { DialectName } from './databases.js';

/** Requesters of data-and-rls.md §6: U1/U2 users, M custom role `moderator`, R a user whose role is `guest`. */
export interface DataKit {
  t: TestApp;
  users: Record<'U1' | 'U2' | 'M' | 'R' | 'ADM', { id: string; token: string }>;
  /** A table through the admin API (secret key); fails the test on anything but 201. */
  table(body: Record<string, unknown>): Promise<any>;
  /** A row owned by `owner` (secret key + createdBy, D-15). */
  row(table: string, owner: string, fields?: Record<string, unknown>): Promise<any>;
  /** A request as one of the requesters: G = publishable key alone, A = secret key alone. */
  as(who: Requester, method: string, url: string, options?: { body?: unknown; key?: string | null; token?: string }): Promise<ApiResponse>;
  key(type: 'publishable' | 'secret', scopes?: string[]): Promise<string>;
  close(): Promise<void>;
}

export type Requester = 'U1' | 'U2' | 'M' | 'R' | 'ADM' | 'G' | 'A';

let tables = 0;
/** Unique table names per test (tables are per database, tests share one app). */
export function tableName(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${(tables++).toString(36)}`;
}

export async function createDataKit(dialect: DialectName, env: Record<string, string> = {}): Promise<DataKit> {
  const t = await createTestApp(dialect, { env: { LATCH_RATE_DATA: '100000/60', ...env } });
  const make = async (role: string) => {
    const user = await signUp(t);
    if (role !== 'user') {
      await t.ctx.db.updateTable('users').set({ role }).where('id', '=', user.id).execute();
      t.ctx.cache.forgetUser(user.id);
    }
    return { id: user.id, token: user.accessToken };
  };
  const users = { U1: await make('user'), U2: await make('user'), M: await make('moderator'), R: await make('guest'), ADM: await make('admin') };
  return {
    t,
    users,
    async table(body) {
      const res = await t.request('POST', '/v1/admin/tables', { key: TEST_SK, body });
      if (res.status !== 201) throw new Error(`table create failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async row(table, owner, fields = {}) {
      const res = await t.request('POST', `/v1/data/${table}`, { key: TEST_SK, body: { ...fields, createdBy: owner } });
      if (res.status !== 201) throw new Error(`row create failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async as(who, method, url, options = {}) {
      const token = options.token ?? (who === 'G' || who === 'A' ? undefined : users[who].token);
      const key = options.key !== undefined ? options.key : who === 'A' ? TEST_SK : undefined;
      return t.request(method, url, { token, key, body: options.body });
    },
    async key(type, scopes) {
      return (await createApiKey(t.ctx, { type, scopes })).key;
    },
    close: () => t.close(),
  };
}

export function ids(res: ApiResponse): string[] {
  return (res.body.items as Array<{ id: string }>).map((item) => item.id).sort();
}
