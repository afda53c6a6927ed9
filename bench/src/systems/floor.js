// The floor: one constant route; a client sends the same headers a Latch client would.
export function floorSystem({ url, emails }) {
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
    },
  };
}
