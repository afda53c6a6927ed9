// Latch as built (packages/server/dist), configured only through its documented environment
// (config.md): the same code path as `npx latch serve`.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serveChild } from './child.js';

const dist = process.env.BENCH_LATCH_DIST;
if (!dist) throw new Error('BENCH_LATCH_DIST is not set');

await serveChild(async () => {
  const { startServer } = await import(pathToFileURL(join(dist, 'server.js')).href);
  const { loadConfig } = await import(pathToFileURL(join(dist, 'config', 'load-config.js')).href);
  const server = await startServer(loadConfig(process.env), { print: () => {} });
  return { url: server.url, stop: () => server.stop() };
});
