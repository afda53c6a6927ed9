import { renderContext } from './context-tool.js';
import { loadDocs } from './docs-corpus.js';
import { DocsIndex, renderSearch } from './docs-search.js';
import { objectSchema, type ToolDef } from './tool-registry.js';

let index: DocsIndex | undefined;

/** The docs index is built once per process from `docs/` (a few hundred kB). */
export function docsIndex(): DocsIndex {
  index ??= new DocsIndex(loadDocs());
  return index;
}

export const fixedTools: ToolDef[] = [
  {
    name: 'get_context',
    description:
      'Call this first in every session. Returns the REST API base URL for app code, the MCP URL (AI tools only), the organization/project/environment ids, the caller\'s scopes, and the rules for generated code (headers, ids, list and error shapes).',
    inputSchema: objectSchema({}),
    scope: null,
    run: (ctx, principal) => renderContext(ctx, principal),
  },
  {
    name: 'search_docs',
    description:
      'Search the Latch guides before writing REST code: auth (email signup/sign-in, social login, magic link, MFA, sessions, refresh), users, invitations, API keys, data API and row level security, avatars, errors, configuration. Returns up to 5 pages as Markdown with doc IDs; a query that is exactly a doc ID (e.g. "3_howto_implement_auth", "6_code_examples_auth") returns that whole guide.',
    inputSchema: objectSchema({ query: { type: 'string', minLength: 1, maxLength: 500, pattern: '\\S' } }, ['query']),
    scope: null,
    run: async (_ctx, _principal, args) => renderSearch(docsIndex(), String(args.query)),
  },
];
