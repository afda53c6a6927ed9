import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVER_PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(SERVER_PACKAGE, 'bin', 'latch.js');
const ENTRY = join(SERVER_PACKAGE, 'dist', 'cli', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.includes('.test.')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The built CLI the e2e tests spawn. `npm ci` builds dist/ through `prepare`; when dist/ is missing or
 * older than src/ (a working tree), it is rebuilt here with the package's own build config. Returns the
 * reason to skip when no build can be produced; with CI=true that is an error instead.
 */
export function ensureBuiltCli(): { ok: true } | { ok: false; reason: string } {
  const fresh = existsSync(ENTRY) && statSync(ENTRY).mtimeMs >= newestSource(join(SERVER_PACKAGE, 'src'));
  if (fresh) return { ok: true };
  const tsc = join(SERVER_PACKAGE, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
  const started = Date.now() - 1000;
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: SERVER_PACKAGE, encoding: 'utf8' });
  // tsc still emits when another file has a type error; the spawned CLI is what is under test.
  if (existsSync(ENTRY) && statSync(ENTRY).mtimeMs >= started) return { ok: true };
  const reason = `dist/ could not be built (tsc exit ${build.status}): ${(build.stdout + build.stderr).split('\n').slice(0, 5).join(' | ')}`;
  if (process.env.CI === 'true') throw new Error(reason);
  return { ok: false, reason };
}
