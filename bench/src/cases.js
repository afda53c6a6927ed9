// What each case sends, and to which systems it applies.

// latch-b-*: a second build of Latch (--compare-dist), run in the same alternating rounds for A/B.
const LATCH = ['latch-sqlite', 'latch-postgres', 'latch-b-sqlite', 'latch-b-postgres'];
const PEER = ['better-auth-sqlite', 'better-auth-postgres'];

export const CASE_INFO = {
  signup: { title: 'sign-up', targets: [...LATCH, ...PEER, 'argon2'], ceilingOp: 'hash' },
  // The floor's sign-in route only verifies the password: HTTP's own share next to the hash.
  signin: { title: 'sign-in', targets: [...LATCH, ...PEER, 'floor', 'argon2'], ceilingOp: 'verify' },
  me: { title: '/me (session read)', targets: [...LATCH, ...PEER, 'floor'] },
  // Better Auth has no refresh token (its sessions are cookies it extends itself): no peer here.
  refresh: { title: 'refresh', targets: LATCH },
  mixed: { title: 'mixed 90/8/2', targets: LATCH },
};

/** 90 % /me, 8 % refresh, 2 % sign-in, interleaved evenly over a 50-request cycle per client. */
export function mixedSequence(requests) {
  const sequence = Array.from({ length: 50 }, () => requests.me);
  for (const at of [6, 18, 31, 43]) sequence[at] = requests.refresh;
  sequence[25] = requests.signin;
  return sequence;
}

export function requestsFor(caseName, system) {
  const { requests } = system;
  if (caseName === 'mixed') return mixedSequence(requests);
  const request = requests[caseName];
  if (!request) throw new Error(`no ${caseName} request for ${system.url}`);
  return [request];
}
