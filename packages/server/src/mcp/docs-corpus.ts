import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenize } from './docs-tokens.js';

/**
 * The guides that search_docs serves (mcp.md §4.4): Markdown files under the repository's `docs/`,
 * each with a stable doc ID in its front matter, split into heading-delimited sections.
 */
export interface DocSection {
  heading: string;
  level: number;
  /** Markdown of the section without its heading line. */
  text: string;
  /** Term frequencies: body tokens plus heading tokens (boosted). */
  terms: Map<string, number>;
  length: number;
}

export interface DocPage {
  id: string;
  title: string;
  /** Source path relative to the repository root, e.g. `docs/3_howto_implement_auth.md`. */
  path: string;
  /** Markdown body without the front matter. */
  body: string;
  /** Tokens of the title and the doc ID: they boost the page, not each section. */
  titleTerms: Set<string>;
  sections: DocSection[];
}

export const DOC_ID = /^[0-9]+_[a-z0-9_]+$/;
const HEADING_BOOST = 3;

/** `docs/` at the repository root, the same from src/mcp (tests) and dist/mcp (the CLI). */
export const DEFAULT_DOCS_DIR = fileURLToPath(new URL('../../../../docs/', import.meta.url));

export function loadDocs(dir: string = DEFAULT_DOCS_DIR): DocPage[] {
  const root = join(dir, '..');
  const pages = listMarkdown(dir).map((file) => parsePage(readFileSync(file, 'utf8'), relative(root, file).split(sep).join('/')));
  const seen = new Set<string>();
  for (const page of pages) {
    if (seen.has(page.id)) throw new Error(`docs: duplicate doc ID ${page.id} (${page.path})`);
    seen.add(page.id);
  }
  return pages.sort((a, b) => a.id.localeCompare(b.id));
}

function listMarkdown(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listMarkdown(full));
    // README.md is the human index of the folder, not a guide.
    else if (name.endsWith('.md') && name !== 'README.md') out.push(full);
  }
  return out;
}

/** Front matter `id:` and `title:`; without an `id`, one is derived from the path (M-7). */
export function parsePage(source: string, path: string): DocPage {
  const front = /^---\n([\s\S]*?)\n---\n/.exec(source);
  const meta: Record<string, string> = {};
  if (front) {
    for (const line of front[1].split('\n')) {
      const m = /^([a-zA-Z]+):\s*(.*)$/.exec(line);
      if (m) meta[m[1]] = m[2].trim().replace(/^"(.*)"$/, '$1');
    }
  }
  const body = front ? source.slice(front[0].length) : source;
  const h1 = /^# (.+)$/m.exec(body);
  const title = meta.title ?? h1?.[1].trim() ?? path;
  const id = meta.id ?? idFromPath(path);
  if (!DOC_ID.test(id)) throw new Error(`docs: ${path} has an invalid doc ID "${id}" (want ^[0-9]+_[a-z0-9_]+$)`);
  const titleTerms = tokenize(`${title} ${id.replace(/_/g, ' ')}`);
  return { id, title, path, body, titleTerms: new Set(titleTerms), sections: splitSections(body, title) };
}

function idFromPath(path: string): string {
  const slug = path.replace(/^docs\//, '').replace(/\.md$/, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  return /^[0-9]+_/.test(slug) ? slug : `0_${slug}`;
}

/** Heading-delimited sections; headings inside fenced code blocks do not count. */
function splitSections(body: string, title: string): DocSection[] {
  const sections: Array<{ heading: string; level: number; lines: string[] }> = [];
  let current = { heading: title, level: 1, lines: [] as string[] };
  let fence: string | null = null;
  for (const line of body.split('\n')) {
    const fenceMatch = /^(```+|~~~+)/.exec(line);
    if (fenceMatch) {
      if (fence === null) fence = fenceMatch[1];
      else if (line.startsWith(fence)) fence = null;
    }
    const heading = fence === null && !fenceMatch ? /^(#{1,4}) (.+)$/.exec(line) : null;
    if (heading) {
      if (current.lines.join('').trim() || current.heading !== title) sections.push(current);
      current = { heading: heading[2].trim(), level: heading[1].length, lines: [] };
      if (heading[1].length === 1) current.heading = title;
      continue;
    }
    current.lines.push(line);
  }
  sections.push(current);
  return sections
    .map((s) => {
      const text = s.lines.join('\n').trim();
      const terms = new Map<string, number>();
      const add = (tokens: string[], weight: number) => {
        for (const token of tokens) terms.set(token, (terms.get(token) ?? 0) + weight);
      };
      const bodyTokens = tokenize(text);
      add(bodyTokens, 1);
      add(tokenize(s.heading), HEADING_BOOST);
      return { heading: s.heading, level: s.level, text, terms, length: bodyTokens.length + 8 };
    })
    .filter((s) => s.text.length > 0);
}
