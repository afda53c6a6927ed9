// Latch's side of each case, through its public REST API (auth-api.md A01, A02, A05, A06).
import { postJson } from './http.js';

export function latchSystem({ url, publishableKey, password, emails }) {
  const key = { 'x-api-key': publishableKey };
  const adopt = (slot, json) => {
    slot.access = json.accessToken;
    slot.refresh = json.refreshToken;
  };
  const hasTokens = (body) => body.includes('"accessToken"') && body.includes('"refreshToken"');

  return {
    url,
    nextEmail: () => emails.next(),
    async createClient(email) {
      const { json } = await postJson(`${url}/v1/auth/email/signup`, { method: 'password', email, password, name: 'Bench User' }, key);
      const slot = { email };
      adopt(slot, json);
      return slot;
    },
    async signInClient(slot) {
      const { json } = await postJson(`${url}/v1/auth/email/signin`, { method: 'password', email: slot.email, password }, key);
      adopt(slot, json);
    },
    requests: {
      signup: {
        name: 'sign-up',
        method: 'POST',
        path: '/v1/auth/email/signup',
        headers: () => key,
        body: () => ({ method: 'password', email: emails.next(), password, name: 'Bench User' }),
        accept: hasTokens,
      },
      signin: {
        name: 'sign-in',
        method: 'POST',
        path: '/v1/auth/email/signin',
        headers: () => key,
        body: (slot) => ({ method: 'password', email: slot.email, password }),
        accept: hasTokens,
        // A client that signs in uses its new session from then on (mixed load).
        onOk: (slot, body) => adopt(slot, JSON.parse(body)),
        changesState: true,
      },
      me: {
        name: '/me',
        method: 'GET',
        path: '/v1/auth/me',
        headers: (slot) => ({ ...key, authorization: `Bearer ${slot.access}` }),
        accept: (body) => body.includes('"email"'),
      },
      refresh: {
        name: 'refresh',
        method: 'POST',
        path: '/v1/auth/refresh',
        headers: () => key,
        body: (slot) => ({ refreshToken: slot.refresh }),
        accept: hasTokens,
        onOk: (slot, body) => adopt(slot, JSON.parse(body)),
        changesState: true,
      },
    },
  };
}
