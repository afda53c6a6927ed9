// The floor: a bare Fastify route answering a constant user object of the same shape as Latch's
// GET /v1/auth/me. No auth, no database, no schema: what HTTP + Fastify + JSON cost on this machine.
import Fastify from 'fastify';
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

await serveChild(async () => {
  const app = Fastify({ logger: false });
  app.get('/me', async () => USER);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${app.server.address().port}`, stop: () => app.close() };
});
