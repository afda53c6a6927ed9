import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDocs } from '../../src/mcp/docs-corpus.js';
import { dialects } from '../helpers/databases.js';
import { TEST_PK, TEST_SK } from '../helpers/test-app.js';
import type { TestServer } from '../helpers/test-server.js';
import { startMcpServer } from './mcp-support.js';
import { parseExamples, PendingExample, runHttpExample, runJsExamples, type Vars } from './docs-runner.js';

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
