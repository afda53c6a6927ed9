import { DOC_ID, type DocPage, type DocSection } from './docs-corpus.js';
import { tokenize } from './docs-tokens.js';

/**
 * search_docs (mcp.md §4.4): BM25 over heading-delimited sections (heading and title terms boosted),
 * results grouped per page, top 5 pages, Markdown output capped at OUTPUT_CAP characters.
 */
export const MAX_PAGES = 5;
export const OUTPUT_CAP = 16_000;
const K1 = 1.2;
const B = 0.75;
const SECTIONS_PER_PAGE = 2;
const TITLE_WEIGHT = 1.5;

export interface PageHit {
  page: DocPage;
  score: number;
  sections: Array<{ section: DocSection; score: number }>;
}

export class DocsIndex {
  private readonly df = new Map<string, number>();
  private readonly sectionCount: number;
  private readonly avgLength: number;
  private readonly byId: Map<string, DocPage>;

  constructor(readonly pages: DocPage[]) {
    this.byId = new Map(pages.map((page) => [page.id, page]));
    let total = 0;
    let count = 0;
    for (const page of pages) {
      for (const section of page.sections) {
        count++;
        total += section.length;
        for (const term of section.terms.keys()) this.df.set(term, (this.df.get(term) ?? 0) + 1);
      }
    }
    this.sectionCount = Math.max(count, 1);
    this.avgLength = count ? total / count : 1;
  }

  page(id: string): DocPage | undefined {
    return this.byId.get(id);
  }

  /** Ranked pages for a free-text query. */
  search(query: string): PageHit[] {
    const terms = [...new Set(tokenize(query))];
    if (terms.length === 0) return [];
    const hits: PageHit[] = [];
    for (const page of this.pages) {
      const scored = page.sections
        .map((section) => ({ section, score: this.score(section, terms) }))
        .filter((s) => s.score > 0)
        .sort((a, b) => b.score - a.score);
      if (scored.length === 0) continue;
      // A page ranks by its best section, helped a little by a second one on the same topic and by
      // query terms in its title or doc ID (the title boost, applied once per page).
      const titleBoost = terms.reduce((sum, term) => sum + (page.titleTerms.has(term) ? TITLE_WEIGHT * this.idf(term) : 0), 0);
      const score = scored[0].score + 0.25 * (scored[1]?.score ?? 0) + titleBoost;
      hits.push({ page, score, sections: scored.slice(0, SECTIONS_PER_PAGE) });
    }
    return hits.sort((a, b) => b.score - a.score || a.page.id.localeCompare(b.page.id)).slice(0, MAX_PAGES);
  }

  private idf(term: string): number {
    const df = this.df.get(term) ?? 0;
    return Math.log(1 + (this.sectionCount - df + 0.5) / (df + 0.5));
  }

  private score(section: DocSection, terms: string[]): number {
    let score = 0;
    for (const term of terms) {
      const tf = section.terms.get(term);
      if (!tf) continue;
      const idf = this.idf(term);
      score += idf * ((tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * section.length) / this.avgLength)));
    }
    return score;
  }
}

/** The Markdown answer of search_docs; a query that is exactly a doc ID returns that whole document. */
export function renderSearch(index: DocsIndex, rawQuery: string): string {
  const query = rawQuery.trim();
  const exact = DOC_ID.test(query) ? index.page(query) : undefined;
  if (exact) return renderDocument(exact, query);
  const hits = index.search(query);
  const header = `## Search Results for "${query.replace(/"/g, '\\"').slice(0, 200)}"\n\n`;
  if (hits.length === 0) {
    return `${header}No results. Try other words (e.g. "email signup", "refresh token", "row level security"), or a doc ID such as \`3_howto_implement_auth\`.\n`;
  }
  // Shrink excerpts until the answer fits the cap (the cap trims excerpts, never drops pages).
  for (const limit of [3600, 2400, 1500, 900, 500, 250]) {
    const text = header + hits.map((hit) => renderHit(hit, limit)).join('');
    if (text.length <= OUTPUT_CAP) return text;
  }
  return (header + hits.map((hit) => renderHit(hit, 120)).join('')).slice(0, OUTPUT_CAP);
}

function renderHit(hit: PageHit, limit: number): string {
  const parts = [`### ${hit.page.title}\n\nDoc ID: \`${hit.page.id}\` · Source: \`${hit.page.path}\`\n`];
  for (const { section } of hit.sections) {
    parts.push(`\n**${section.heading}**\n\n${excerpt(section.text, limit)}\n`);
  }
  parts.push('\n---\n\n');
  return parts.join('');
}

function renderDocument(page: DocPage, query: string): string {
  const head = `## Search Results for "${query}"\n\n### ${page.title}\n\nDoc ID: \`${page.id}\` · Source: \`${page.path}\`\n\n`;
  const tail = '\n\n---\n';
  const body = page.body.replace(/^# .+\n+/, '');
  if (head.length + body.length + tail.length <= OUTPUT_CAP) return head + body + tail;
  const cut = cutAtBlock(body, OUTPUT_CAP - head.length - tail.length - 200);
  return `${head}${cut}\n\n_(Document truncated at ${OUTPUT_CAP} characters: search for a section heading to read the rest.)_${tail}`;
}

/** Up to `limit` characters, cut at a paragraph boundary outside code fences (examples stay whole). */
export function excerpt(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const cut = cutAtBlock(text, limit);
  return `${cut}\n\n…`;
}

function cutAtBlock(text: string, limit: number): string {
  const lines = text.split('\n');
  let out = '';
  let safe = '';
  let fence = false;
  for (const line of lines) {
    if (/^(```|~~~)/.test(line)) fence = !fence;
    const next = out ? `${out}\n${line}` : line;
    if (next.length > limit) break;
    out = next;
    if (!fence && (line.trim() === '' || /^(```|~~~)/.test(line))) safe = out;
  }
  const chosen = safe || out;
  return chosen.trimEnd() || text.slice(0, limit);
}
