import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/helpers/databases.js';
import { signUp, type SignedUpUser } from '../../test/helpers/factories.js';
import { createTestApp, TEST_SK, type TestApp } from '../../test/helpers/test-app.js';

describe.each(dialects)('U07–U19 profile and settings (%s)', (dialect) => {
  let t: TestApp;
  let a: SignedUpUser;
  let b: SignedUpUser;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    a = await signUp(t, { name: 'Ada' });
    b = await signUp(t, { name: 'Bea' });
  });
  afterAll(async () => {
    await t.close();
  });
  const patch = (path: string, body: unknown, who: SignedUpUser = a) => t.request('PATCH', `/v1/users/${who.id}/${path}`, { token: who.accessToken, body });
  const get = (path: string, who: SignedUpUser = a) => t.request('GET', `/v1/users/${who.id}/${path}`, { token: who.accessToken });

  it('starts from the documented defaults', async () => {
    const fresh = await signUp(t, { name: 'Fresh' });
    expect((await get('profile', fresh)).body).toEqual({ name: 'Fresh', nickname: null, email: fresh.email, mobile: null, gender: null, bio: null, socialLinks: null });
    expect((await get('preferences', fresh)).body).toEqual({ locale: null, timezone: null, theme: null });
    expect((await get('notifications', fresh)).body).toEqual({ service: true, marketing: false, push: true, email: true, sms: false, nightTime: false, securityAlerts: true });
    expect((await get('onboarding', fresh)).body).toEqual({ status: 'pending', step: null, data: null, completedAt: null });
    expect((await get('public-settings', fresh)).body).toEqual({ slug: null, isPublic: false });
  });

  it('U08 changes only the fields sent, null clears, and extra fields are ignored', async () => {
    const first = await patch('profile', { nickname: 'ada', mobile: '+82 10-1234-5678', gender: 'female', bio: 'Hi', socialLinks: { github: 'https://github.com/ada', mastodon: 'https://x.test' }, email: 'evil@x.test', image: null });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      name: 'Ada',
      nickname: 'ada',
      email: a.email,
      mobile: '+821012345678',
      gender: 'female',
      bio: 'Hi',
      socialLinks: { github: 'https://github.com/ada', twitter: null, linkedin: null },
    });
    const merged = await patch('profile', { socialLinks: { twitter: 'https://twitter.com/ada' }, bio: null });
    expect(merged.body).toMatchObject({ bio: null, gender: 'female', socialLinks: { github: 'https://github.com/ada', twitter: 'https://twitter.com/ada', linkedin: null } });
    const cleared = await patch('profile', { socialLinks: null, mobile: null });
    expect(cleared.body).toMatchObject({ socialLinks: null, mobile: null, nickname: 'ada' });
    const me = await t.request('GET', '/v1/auth/me', { token: a.accessToken });
    expect(me.body).toMatchObject({ nickname: 'ada', email: a.email });
  });

  it.each([
    ['profile', { name: '' }, 'user/invalid-name'],
    ['profile', { name: null }, 'user/invalid-name'],
    ['profile', { nickname: 'n'.repeat(51) }, 'user/invalid-nickname'],
    ['profile', { mobile: '010-1234-5678' }, 'common/invalid-parameters'],
    ['profile', { mobile: '+1234567890123456' }, 'common/invalid-parameters'],
    ['profile', { mobile: '+1 (234) 567-890-1234-5' }, 'common/invalid-parameters'],
    ['profile', { gender: 'unknown' }, 'common/invalid-parameters'],
    ['profile', { bio: 'b'.repeat(501) }, 'common/invalid-parameters'],
    ['profile', { socialLinks: { github: 'javascript:alert(1)' } }, 'common/invalid-parameters'],
    ['profile', { socialLinks: { linkedin: 'not a url' } }, 'common/invalid-parameters'],
    ['profile', { socialLinks: { twitter: `https://t.test/${'x'.repeat(2048)}` } }, 'common/invalid-parameters'],
    ['profile', { socialLinks: 'https://github.com/ada' }, 'common/invalid-parameters'],
    ['preferences', { locale: 'not a locale!' }, 'common/invalid-parameters'],
    ['preferences', { locale: 'x'.repeat(36) }, 'common/invalid-parameters'],
    ['preferences', { timezone: 'Mars/Olympus_Mons' }, 'common/invalid-parameters'],
    ['preferences', { timezone: '+09:00' }, 'common/invalid-parameters'],
    ['preferences', { theme: 'blue' }, 'common/invalid-parameters'],
    ['notifications', { marketing: 'yes' }, 'common/invalid-parameters'],
    ['onboarding', { status: 'done' }, 'common/invalid-parameters'],
    ['onboarding', { step: 's'.repeat(101) }, 'common/invalid-parameters'],
    ['onboarding', { data: { blob: 'x'.repeat(16 * 1024) } }, 'common/invalid-parameters'],
    ['onboarding', { data: [1, 2] }, 'common/invalid-parameters'],
    ['public-settings', { slug: 'ab' }, 'common/invalid-parameters'],
    ['public-settings', { slug: '-abc' }, 'common/invalid-parameters'],
    ['public-settings', { slug: 'a_b_c' }, 'common/invalid-parameters'],
    ['public-settings', { slug: 's'.repeat(31) }, 'common/invalid-parameters'],
    ['public-settings', { isPublic: 'true' }, 'common/invalid-parameters'],
  ])('PATCH %s %j → 400 %s, nothing changed', async (path, body, code) => {
    const before = (await get(path)).body;
    const res = await patch(path, body);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code });
    expect((await get(path)).body).toEqual(before);
  });

  it('U13 validates and canonicalises locale and time zone; null clears', async () => {
    const res = await patch('preferences', { locale: 'ko-kr', timezone: 'Asia/Seoul', theme: 'dark' });
    expect(res.body).toEqual({ locale: 'ko-KR', timezone: 'Asia/Seoul', theme: 'dark' });
    const partial = await patch('preferences', { theme: null });
    expect(partial.body).toEqual({ locale: 'ko-KR', timezone: 'Asia/Seoul', theme: null });
  });

  it('U15 changes only the flags sent', async () => {
    const res = await patch('notifications', { marketing: true, push: false });
    expect(res.body).toEqual({ service: true, marketing: true, push: false, email: true, sms: false, nightTime: false, securityAlerts: true });
    expect((await patch('notifications', { sms: true })).body).toMatchObject({ marketing: true, push: false, sms: true });
  });

  it('U17 sets completedAt when the status becomes completed, clears it when it leaves, and mirrors /me', async () => {
    const started = await patch('onboarding', { status: 'in_progress', step: 'profile', data: { answers: [1, 2] } });
    expect(started.body).toEqual({ status: 'in_progress', step: 'profile', data: { answers: [1, 2] }, completedAt: null });
    const done = await patch('onboarding', { status: 'completed' });
    expect(done.body).toMatchObject({ status: 'completed', step: 'profile', completedAt: new Date(t.clock.now()).toISOString() });
    expect((await t.request('GET', '/v1/auth/me', { token: a.accessToken })).body.onboardingStatus).toBe('completed');
    t.clock.advance(5000);
    expect((await patch('onboarding', { status: 'completed' })).body.completedAt).toBe(done.body.completedAt);
    expect((await patch('onboarding', { status: 'skipped', data: null })).body).toMatchObject({ status: 'skipped', data: null, completedAt: null });
  });

  it('U19 keeps slugs unique (409), lower-cases them, and frees a slug cleared with null', async () => {
    const slug = `ada-${a.id.slice(-6)}`;
    expect((await patch('public-settings', { slug: `  ${slug.toUpperCase()} ` })).body).toEqual({ slug, isPublic: false });
    const taken = await patch('public-settings', { slug }, b);
    expect({ status: taken.status, code: taken.body.code }).toEqual({ status: 409, code: 'user/slug-already-exists' });
    expect((await patch('public-settings', { slug: null })).body.slug).toBeNull();
    expect((await patch('public-settings', { slug }, b)).body.slug).toBe(slug);
  });

  it('U07 shows another user a profile only when public, and then without email and mobile', async () => {
    const owner = await signUp(t, { name: 'Owner' });
    await patch('profile', { mobile: '+15551234567', bio: 'Public bio' }, owner);
    const hidden = await t.request('GET', `/v1/users/${owner.id}/profile`, { token: b.accessToken });
    expect({ status: hidden.status, code: hidden.body.code }).toEqual({ status: 403, code: 'user/forbidden' });
    await patch('public-settings', { isPublic: true }, owner);
    const shown = await t.request('GET', `/v1/users/${owner.id}/profile`, { token: b.accessToken });
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ name: 'Owner', nickname: null, gender: null, bio: 'Public bio', socialLinks: null });
    const admin = await t.request('GET', `/v1/users/${owner.id}/profile`, { key: TEST_SK });
    expect(admin.body).toMatchObject({ email: owner.email, mobile: '+15551234567' });
  });

  it('answers 404 for settings of an unknown user (admin)', async () => {
    const res = await t.request('GET', '/v1/users/00000000-0000-7000-8000-000000000000/preferences', { key: TEST_SK });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'user/not-found' });
  });
});
