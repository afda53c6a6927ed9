import { defineConfig } from 'vitest/config';

// The users listing benchmark: not part of `npm test` (its files live outside packages/server).
// Run from the repository root:  npx vitest run --config bench/users/vitest.config.ts
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['list-users.bench.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['verbose'],
  },
});
