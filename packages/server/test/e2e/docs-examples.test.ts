import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDocs } from '../../src/mcp/docs-corpus.js';
import { dialects } from '../helpers/databases.js';
import { TEST_PK, TEST_SK } from '../helpers/test-app.js';
import type { TestServer } from '../helpers/test-server.js';
import { startMcpServer } from './mcp-support.js';
import { matchTemplate, parseExamples, PendingExample, runHttpExample, runJsExamples, substitute, type Vars } from './docs-runner.js';

/**
 * Every executable example in docs/ runs against a live Latch (one fresh server per guide, examples in
 * order, sharing variables), so a guide cannot drift from the server. An example whose endpoint is
 * not served yet, or that is marked pending, is skipped with its reason printed.
 */
const pages = loadDocs().map((page) => ({ page, examples: parseExamples(page.body) })).filter((p) => p.examples.length > 0);

describe('docs examples are well-formed', () => {
  it('at least the auth, data and avatar guides carry executable examples', () => {
    const ids = pages.map((p) => p.page.id);
    for (const id of ['3_howto_implement_auth', '6_code_examples_auth', '3_howto_implement_data', '6_code_examples_data', '3_howto_implement_avatars', '6_code_examples_avatars']) {
      expect(ids).toContain(id);
    }
  });
});

describe('the example runner can fail', () => {
  it('parses request/response pairs and runnable code with its lib blocks', () => {
    const md = [
      '```http request', 'POST /v1/x', 'X-API-Key: {{publishableKey}}', '', '{"a":1}', '```',
      '```http response', 'HTTP/1.1 201 Created', '', '{"id":"{{id}}"}', '```',
      '```js runnable lib', 'const f = () => 1;', '```',
      '```js runnable pending="later"', 'f();', '```',
      '```http', 'GET /illustration', '```',
    ].join('\n');
    const examples = parseExamples(md);
    expect(examples).toHaveLength(2);
    expect(examples[0]).toMatchObject({ kind: 'http', method: 'POST', path: '/v1/x', headers: { 'x-api-key': '{{publishableKey}}' }, body: '{"a":1}', response: { status: 201, body: '{"id":"{{id}}"}' } });
    expect(examples[1]).toMatchObject({ kind: 'js', pending: 'later', code: expect.stringContaining('const f = () => 1;') });
    expect(() => parseExamples('```http response\nHTTP/1.1 200 OK\n```')).toThrow(/must follow a request/);
  });

  it.each([
    [{ code: 'auth/x' }, { code: 'auth/y' }, /expected "auth\/x"/],
    [{ a: { b: 1 } }, { a: {} }, /\$\.a\.b: missing/],
    [{ items: [{ id: 1 }, { id: 2 }] }, { items: [{ id: 1 }] }, /at least 2 items/],
    ['…token={{t}}&…', 'no token here', /does not match/],
    [{ n: 3600 }, { n: '3600' }, /expected 3600/],
  ])('reports a mismatch: %j vs %j', (expected, actual, message) => {
    expect(matchTemplate(expected, actual, {}).join('\n')).toMatch(message);
  });

  it('binds placeholders, matches ellipses, allows extra fields and refuses unbound variables', () => {
    const vars: Vars = {};
    expect(matchTemplate({ accessToken: '{{accessToken}}', text: '…?token={{resetToken}}&email=…' }, { accessToken: 'abc', text: 'Open http://x/r?token=t0k&email=a%40b now', extra: 1 }, vars)).toEqual([]);
    expect(vars).toEqual({ accessToken: 'abc', resetToken: 't0k' });
    expect(substitute('Bearer {{accessToken}}', vars)).toBe('Bearer abc');
    expect(() => substitute('{{nope}}', vars)).toThrow(/not bound/);
  });
});

describe.each(dialects)('docs examples against a live Latch (%s)', (dialect) => {
  for (const { page, examples } of pages) {
    describe(page.id, () => {
      let server: TestServer;
      const vars: Vars = {};
      let blockedBy: string | undefined;

      beforeAll(async () => {
        // Its public URL is its real address: upload URLs and OAuth metadata must be reachable.
        server = await startMcpServer(dialect);
        Object.assign(vars, { publishableKey: TEST_PK, secretKey: TEST_SK, baseUrl: server.url });
      });
      afterAll(async () => {
        await server?.close();
      });

      for (const example of examples) {
        const label = example.kind === 'http' ? `${example.method} ${example.path}` : 'client code';
        it(`#${example.index} ${label}`, async (context) => {
          if (blockedBy) {
            console.warn(`[docs] ${page.id} #${example.index} skipped: depends on ${blockedBy}`);
            context.skip(`depends on ${blockedBy}`);
          }
          try {
            if (example.kind === 'http') await runHttpExample(server, example, vars);
            else await runJsExamples(server, example.code, { publishableKey: TEST_PK }, vars);
          } catch (error) {
            const pendingReason = error instanceof PendingExample ? error.message : example.pending ? `marked pending (${example.pending}): ${(error as Error).message}` : undefined;
            if (!pendingReason) throw error;
            blockedBy = `pending example #${example.index}`;
            console.warn(`[docs] ${page.id} #${example.index} PENDING: ${pendingReason.split('\n')[0]}`);
            context.skip(pendingReason.split('\n')[0]);
          }
          if (example.pending) console.warn(`[docs] ${page.id} #${example.index} is marked pending="${example.pending}" but now passes: remove the marker`);
        });
      }
    });
  }
});
