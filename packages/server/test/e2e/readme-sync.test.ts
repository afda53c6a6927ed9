import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The README is the user's map (DEVELOPERS.md: "keep the README true"): every route the built app
 * serves has a row in its endpoint tables and every row is a route; every variable the configuration
 * reads has a row in its configuration table. A route or variable added without its row fails here.
 */
const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

// Named in the prose above the tables, not in them: the generated reference itself.
const IN_PROSE = ['GET /openapi.json', 'GET /docs'];

function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`README has no "## ${heading}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

/** `| GET | \`/v1/auth/me\` | … |` rows of the Endpoints section. */
export function endpointRows(markdown: string): string[] {
  return [...markdown.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`);
}

/**
 * Variable names in the first cell of the configuration table's rows. A row may group several
 * (`LATCH_GOOGLE_AUTHORIZE_URL`, `_TOKEN_URL`): a name written from `_` on shares the first name's
 * `LATCH_<GROUP>` prefix.
 */
export function configRows(markdown: string): string[] {
  const names: string[] = [];
  for (const [, cell] of markdown.matchAll(/^\| (`LATCH_[^|]+) \|/gm)) {
    const written = [...cell!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!);
    const prefix = written[0]!.split('_').slice(0, 2).join('_');
    for (const name of written) names.push(name.startsWith('_') ? `${prefix}${name}` : name);
  }
  return names;
}

describe('the README matches the server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists every route the app serves, and no route it does not serve', () => {
    const served = [...new Set(t.app.routeCatalog.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`))];
    const rows = endpointRows(section('Endpoints'));
    expect(served.length).toBeGreaterThan(90);
    expect(served.filter((route) => !rows.includes(route) && !IN_PROSE.includes(route))).toEqual([]);
    expect(rows.filter((row) => !served.includes(row))).toEqual([]);
    expect(rows.filter((row, i) => rows.indexOf(row) !== i)).toEqual([]);
    for (const route of IN_PROSE) expect(section('Endpoints')).toContain(`\`${route}\``);
  });

  it('documents every variable the configuration reads, and none it does not', () => {
    // The loader reads each variable through env[name]; a proxy records the names it asks for.
    const read = new Set<string>();
    const env = new Proxy({} as Record<string, string | undefined>, {
      get: (_target, name) => {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
    });
    loadConfig(env);
    const variables = [...read].filter((name) => name.startsWith('LATCH_'));
    const rows = configRows(section('Configuration'));
    expect(variables.length).toBeGreaterThan(40);
    expect(variables.filter((name) => !rows.includes(name))).toEqual([]);
    expect(rows.filter((name) => !variables.includes(name))).toEqual([]);
  });
});

describe('the README parsers (so the check can fail)', () => {
  it('reads endpoint rows and expands grouped variable names', () => {
    const table = ['| GET | `/health` | Liveness |', '| POST | `/v1/auth/email/signin` | A02 |', '| method | path | what |'].join('\n');
    expect(endpointRows(table)).toEqual(['GET /health', 'POST /v1/auth/email/signin']);
    const config = ['| `LATCH_PORT` | `8080` | port |', '| `LATCH_GITHUB_AUTHORIZE_URL`, `_TOKEN_URL`, `_API_URL` | GitHub\'s | endpoints |'].join('\n');
    expect(configRows(config)).toEqual(['LATCH_PORT', 'LATCH_GITHUB_AUTHORIZE_URL', 'LATCH_GITHUB_TOKEN_URL', 'LATCH_GITHUB_API_URL']);
  });
});
