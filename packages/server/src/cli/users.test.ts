import { describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signIn, STRONG_PASSWORD, uniqueEmail } from '../../test/helpers/factories.js';
import { cliWorld, runCli } from '../../test/setup/cli-harness.js';

describe.each(dialects)('latch users create (%s)', (dialect) => {
  const world = cliWorld(dialect);

  it('makes an admin who can sign in and holds the admin role', async () => {
    const email = uniqueEmail('admin');
    const run = await runCli(['users', 'create', '--email', email, '--role', 'admin', '--password', STRONG_PASSWORD, '--name', 'First Admin'], world.db.env);
    expect(run.code).toBe(0);
    expect(run.out).toHaveLength(1);
    expect(run.out[0]).toMatch(new RegExp(`^Created admin ${email} \\(id [0-9a-f-]{36}\\)$`));
    expect(run.out.join('\n')).not.toContain(STRONG_PASSWORD);
    const signedIn = await signIn(world.t, email, STRONG_PASSWORD);
    expect(signedIn.status).toBe(200);
    const me = await world.t.request('GET', '/v1/auth/me', { token: signedIn.body.accessToken });
    expect(me.body).toMatchObject({ email, role: 'admin', name: 'First Admin' });
    expect(me.body.emailVerified).not.toBeNull();
    const row = await world.t.ctx.db.selectFrom('users').select('password_hash').where('email_normalized', '=', email).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('without --password prints a generated one once, and it works', async () => {
    const email = uniqueEmail('gen');
    const run = await runCli(['users', 'create', '--email', email, '--role', 'admin'], world.db.env);
    expect(run.code).toBe(0);
    const password = /^Password \(shown once\): (\S+)$/.exec(run.out[1])?.[1];
    expect(password).toBeDefined();
    expect((await signIn(world.t, email, password!)).status).toBe(200);
  });

  it('defaults to role user', async () => {
    const email = uniqueEmail('plain');
    expect((await runCli(['users', 'create', '--email', email, '--password', STRONG_PASSWORD], world.db.env)).out[0]).toMatch(/^Created user /);
  });

  it.each([
    [['users', 'create'], /--email is required/],
    [['users', 'create', '--email', 'a@example.test', '--role', 'root'], /--role must be admin, user or guest/],
    [['users', 'create', '--email', 'not-an-email', '--password', STRONG_PASSWORD], /auth\/invalid-email/],
    [['users', 'create', '--email', 'weak@example.test', '--password', 'short'], /auth\/invalid-password-format/],
    [['users', 'delete', '--email', 'a@example.test'], /expected create/],
  ])('%j exits 1 with a message and creates nobody', async (argv, message) => {
    const before = await world.t.ctx.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const run = await runCli(argv, world.db.env);
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toMatch(message);
    const after = await world.t.ctx.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('refuses an email that is taken', async () => {
    const email = uniqueEmail('dup');
    expect((await runCli(['users', 'create', '--email', email, '--password', STRONG_PASSWORD], world.db.env)).code).toBe(0);
    const again = await runCli(['users', 'create', '--email', email.toUpperCase(), '--password', STRONG_PASSWORD], world.db.env);
    expect(again.code).toBe(1);
    expect(again.err[0]).toMatch(/auth\/email-already-exists/);
  });
});
