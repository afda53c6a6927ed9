// The floor: a bare Fastify route answering a constant user object of the same shape as Latch's
// GET /v1/auth/me. No auth, no database, no schema: what HTTP + Fastify + JSON cost on this machine.
// For sign-in, POST /signin verifies the password with argon2id at Latch's parameters (as the ceiling
// does) and answers a constant token pair: what HTTP costs next to the hash, with nothing else.
import { verify } from '@node-rs/argon2';
import Fastify from 'fastify';
import { parseParams, storedHash } from './argon2-params.js';
import { serveChild } from './child.js';

const USER = {
  id: '01937f4e-8c2a-7d5e-9b1a-3f6c2e8d4a10',
  role: 'user',
  name: 'Bench User',
  nickname: null,
  email: 'bench-user@example.com',
  emailVerified: null,
  image: null,
  onboardingStatus: 'pending',
  mfaEnabled: false,
  bannedAt: null,
  lastSignInAt: '2026-01-01T00:00:00.000Z',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

// The length of Latch's answer: an ES256 JWT and a refresh token.
const TOKENS = { accessToken: 'a'.repeat(420), refreshToken: 'r'.repeat(112), tokenType: 'Bearer', expiresIn: 3600 };

await serveChild(async () => {
  const params = parseParams(process.env.BENCH_ARGON2);
  const password = process.env.BENCH_PASSWORD ?? 'Correct-Horse-7-Battery!';
  const stored = await storedHash(password, params);
  const app = Fastify({ logger: false });
  app.get('/me', async () => USER);
  app.post('/signin', async (request, reply) => {
    if (!(await verify(stored, String(request.body?.password ?? '').normalize('NFC')))) return reply.code(401).send({ error: 'invalid' });
    return TOKENS;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${app.server.address().port}`, stop: () => app.close() };
});
