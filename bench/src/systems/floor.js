// The floor: one constant route (and, for sign-in, one that only verifies the password); a client sends
// the same headers and body a Latch client would.
export function floorSystem({ url, password, emails }) {
  return {
    url,
    nextEmail: () => emails.next(),
    async createClient(email) {
      return { email, access: 'floor' };
    },
    async signInClient() {},
    requests: {
      me: {
        name: 'constant /me',
        method: 'GET',
        path: '/me',
        headers: (slot) => ({ 'x-api-key': 'pk_floor', authorization: `Bearer ${slot.access}` }),
        accept: (body) => body.includes('"email"'),
      },
      signin: {
        name: 'verify-only sign-in',
        method: 'POST',
        path: '/signin',
        headers: () => ({ 'x-api-key': 'pk_floor' }),
        body: (slot) => ({ method: 'password', email: slot.email, password }),
        accept: (body) => body.includes('"accessToken"') && body.includes('"refreshToken"'),
      },
    },
  };
}
