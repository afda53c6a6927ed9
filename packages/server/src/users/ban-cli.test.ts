import { describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, signUp } from '../../test/helpers/factories.js';
import { cliWorld, runCli } from '../../test/setup/cli-harness.js';

describe.each(dialects)('latch users ban / unban (%s)', (dialect) => {
  const world = cliWorld(dialect);

  it('bans by id (every session revoked, sign-in refused) and unbans by email', async () => {
    const user = await signUp(world.t);
    const ban = await runCli(['users', 'ban', user.id], world.db.env);
    expect(ban.code).toBe(0);
    expect(ban.out[0]).toMatch(new RegExp(`^Banned ${user.email} \\(id ${user.id}\\)`));
    const live = await world.t.ctx.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).where('revoked_at', 'is', null).execute();
    expect(live).toEqual([]);
    expect((await signIn(world.t, user.email, user.password)).body.code).toBe('auth/account-banned');
    const unban = await runCli(['users', 'unban', user.email.toUpperCase()], world.db.env);
    expect(unban.code).toBe(0);
    expect((await signIn(world.t, user.email, user.password)).status).toBe(200);
  });

  it.each([
    [['users', 'ban'], /a user id or email is required/],
    [['users', 'ban', '00000000-0000-7000-8000-000000000000'], /no such user/],
  ])('%j exits 1 with one line', async (argv, message) => {
    const run = await runCli(argv, world.db.env);
    expect(run.code).toBe(1);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(message);
  });

  it('refuses to ban the last admin', async () => {
    const admin = await signUp(world.t);
    await world.t.ctx.db.updateTable('users').set({ role: 'user' }).where('role', '=', 'admin').execute();
    await world.t.ctx.db.updateTable('users').set({ role: 'admin' }).where('id', '=', admin.id).execute();
    const run = await runCli(['users', 'ban', admin.id], world.db.env);
    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(/user\/forbidden/);
  });
});
