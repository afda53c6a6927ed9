// Better Auth's side: its email + password endpoints and its session read (GET /api/auth/get-session,
// the call a client makes to learn who is signed in). It has no refresh token, so no refresh case.
import { postJson } from './http.js';

const COOKIE = /(?:^|,\s*)((?:__Secure-)?better-auth\.session_token=[^;]+)/;

function sessionCookie(setCookie) {
  const match = COOKIE.exec(setCookie ?? '');
  if (!match) throw new Error(`Better Auth set no session cookie (set-cookie: ${setCookie})`);
  return match[1];
}

export function betterAuthSystem({ url, password, emails }) {
  // Better Auth checks Origin on state-changing requests, as a browser would send it.
  const origin = { origin: url };
  return {
    url,
    nextEmail: () => emails.next(),
    async createClient(email) {
      const { headers } = await postJson(`${url}/api/auth/sign-up/email`, { email, password, name: 'Bench User' }, origin);
      return { email, cookie: sessionCookie(headers.get('set-cookie')) };
    },
    async signInClient(slot) {
      const { headers } = await postJson(`${url}/api/auth/sign-in/email`, { email: slot.email, password }, origin);
      slot.cookie = sessionCookie(headers.get('set-cookie'));
    },
    requests: {
      signup: {
        name: 'sign-up',
        method: 'POST',
        path: '/api/auth/sign-up/email',
        headers: () => origin,
        body: () => ({ email: emails.next(), password, name: 'Bench User' }),
        accept: (body) => body.includes('"token"'),
      },
      signin: {
        name: 'sign-in',
        method: 'POST',
        path: '/api/auth/sign-in/email',
        headers: () => origin,
        body: (slot) => ({ email: slot.email, password }),
        accept: (body) => body.includes('"token"'),
      },
      me: {
        name: 'get-session',
        method: 'GET',
        path: '/api/auth/get-session',
        headers: (slot) => ({ cookie: slot.cookie }),
        // An unknown or expired cookie answers 200 with `null`: that is a failure here, not a success.
        accept: (body) => body.includes('"email"'),
      },
    },
  };
}
