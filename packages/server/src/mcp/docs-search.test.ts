import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC_ID, loadDocs, parsePage } from './docs-corpus.js';
import { DocsIndex, excerpt, OUTPUT_CAP, renderSearch } from './docs-search.js';
import { tokenize } from './docs-tokens.js';

const index = new DocsIndex(loadDocs());
const top = (query: string, n = 5) => index.search(query).slice(0, n).map((hit) => hit.page.id);

describe('docs corpus', () => {
  it('has the stable doc IDs of mcp.md §4.4 and decisions.md §7, all well-formed and unique', () => {
    const ids = index.pages.map((page) => page.id);
    for (const id of ['3_howto_implement_auth', '6_code_examples_auth', '3_howto_implement_data', '6_code_examples_data', '3_howto_implement_avatars', '6_code_examples_avatars']) {
      expect(ids).toContain(id);
    }
    for (const id of ids) expect(id).toMatch(DOC_ID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('splits pages at headings outside code fences and derives an ID from the path when none is given', () => {
    const page = parsePage('# T\n\nintro\n\n## A\n\n```md\n## not a heading\n```\n\n## B\n\ntext', 'docs/guides/Some Page.md');
    expect(page.id).toBe('0_guides_some_page');
    expect(page.sections.map((s) => s.heading)).toEqual(['T', 'A', 'B']);
    expect(() => parsePage('---\nid: Bad-Id\n---\n# x', 'docs/x.md')).toThrow(/invalid doc ID/);
  });

  it('tokenizes developer phrasing onto the guides’ words', () => {
    expect(tokenize('sign-up')).toContain('signup');
    expect(tokenize('log in')).toContain('signin');
    expect(tokenize('2FA')).toContain('mfa');
    expect(tokenize('magic link')).toContain('magiclink');
  });
});

describe('search_docs acceptance queries (mcp.md §4.4)', () => {
  it.each(['email signup', 'social login', 'social login implementation', 'auth code examples'])('"%s" returns an auth doc', (query) => {
    const ids = top(query);
    expect(ids.some((id) => id === '3_howto_implement_auth' || id === '6_code_examples_auth')).toBe(true);
  });

  it('"auth code examples" ranks 6_code_examples_auth first', () => {
    expect(top('auth code examples')[0]).toBe('6_code_examples_auth');
  });

  it('a query that is exactly a doc ID returns that whole document first', () => {
    const text = renderSearch(index, '3_howto_implement_auth');
    expect(text).toMatch(/^## Search Results for "3_howto_implement_auth"\n\n### .+\n\nDoc ID: `3_howto_implement_auth` · Source: `docs\/3_howto_implement_auth.md`/);
    expect(text).toContain('## Token management');
    expect(text).toContain('POST /v1/auth/refresh');
  });

  it('renders at most 5 pages, each with its doc ID, source and a horizontal rule, within the output cap', () => {
    const text = renderSearch(index, 'token session password user email');
    expect((text.match(/^### /gm) ?? []).length).toBeLessThanOrEqual(5);
    expect((text.match(/^Doc ID: `/gm) ?? []).length).toBe((text.match(/^### /gm) ?? []).length);
    expect((text.match(/^---$/gm) ?? []).length).toBe((text.match(/^### /gm) ?? []).length);
    expect(text.length).toBeLessThanOrEqual(OUTPUT_CAP);
    expect(text).toMatch(/^\*\*.+\*\*$/m);
  });

  it('answers "no results" as plain Markdown', () => {
    expect(renderSearch(index, 'zzzqqq xylophone')).toMatch(/^## Search Results for "zzzqqq xylophone"\n\nNo results/);
  });

  it('never cuts an example in the middle of a code block', () => {
    const text = 'para one\n\n```http request\nPOST /x\n\n{"a":1}\n```\n\npara two is long enough to be cut away entirely';
    const cut = excerpt(text, 40);
    expect((cut.match(/```/g) ?? []).length % 2).toBe(0);
  });
});

describe('retrieval test set (≥ 90 % in the top 3)', () => {
  const set = JSON.parse(readFileSync(new URL('./retrieval-set.json', import.meta.url), 'utf8')) as { questions: Array<{ q: string; expect: string[] }> };

  it('has at least 40 questions, each naming existing guides', () => {
    expect(set.questions.length).toBeGreaterThanOrEqual(40);
    const ids = new Set(index.pages.map((page) => page.id));
    for (const question of set.questions) for (const id of question.expect) expect(ids, question.q).toContain(id);
  });

  it('puts an expected guide in the top 3 for at least 90 % of the questions', () => {
    const misses = set.questions.filter((question) => !top(question.q, 3).some((id) => question.expect.includes(id)));
    const score = (set.questions.length - misses.length) / set.questions.length;
    console.info(`[retrieval] top-3 accuracy ${(score * 100).toFixed(1)} % (${set.questions.length - misses.length}/${set.questions.length})`);
    for (const miss of misses) console.info(`[retrieval] miss: "${miss.q}" → ${top(miss.q, 3).join(', ')} (want ${miss.expect.join(' or ')})`);
    expect(score).toBeGreaterThanOrEqual(0.9);
  });
});
