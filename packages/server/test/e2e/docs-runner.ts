import { TOTP } from 'otpauth';

/**
 * Executable examples in the guides (docs/README.md "Executable examples"):
 *
 *   ```http request            a request: `METHOD /path`, headers, blank line, JSON body
 *   ```http response           the answer it gets: `HTTP/1.1 <status> <text>`, headers, body template
 *   ```js runnable lib         client definitions (functions), put in front of every later runnable block
 *   ```js runnable             client code run with LATCH_URL, PUBLISHABLE_KEY, localStorage and bound variables
 *
 * `{{name}}` in a request is a variable; in a response template it (re)binds the value found there. `…` in a template string matches any text; object keys listed
 * must exist (extra keys are allowed), arrays match element by element from the start.
 * `pending="reason"` on a block marks an example whose endpoint is still being built.
 */
export interface HttpExample {
  kind: 'http';
  index: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  pending?: string;
  response?: { status: number; headers: Record<string, string>; body?: string };
}

export interface JsExample {
  kind: 'js';
  index: number;
  code: string;
  pending?: string;
}

export type Example = HttpExample | JsExample;

const FENCE = /^```([^\n]*)\n([\s\S]*?)\n```$/gm;

function attribute(info: string, name: string): string | undefined {
  const m = new RegExp(`${name}="([^"]*)"`).exec(info);
  return m?.[1];
}

export function parseExamples(markdown: string): Example[] {
  const out: Example[] = [];
  let last: HttpExample | undefined;
  const libs: string[] = [];
  for (const match of markdown.matchAll(FENCE)) {
    const info = match[1].trim();
    const text = match[2];
    const words = info.split(/\s+/);
    if (words[0] === 'http' && words.includes('request')) {
      last = { kind: 'http', index: out.length + 1, ...parseRequest(text), pending: attribute(info, 'pending') };
      out.push(last);
    } else if (words[0] === 'http' && words.includes('response')) {
      if (!last || last.response) throw new Error(`a response block must follow a request block:\n${text.slice(0, 120)}`);
      last.response = parseResponse(text);
    } else if ((words[0] === 'js' || words[0] === 'javascript') && words.includes('runnable')) {
      // `lib` blocks hold definitions only: they run in front of every later runnable block.
      if (words.includes('lib')) libs.push(text);
      else out.push({ kind: 'js', index: out.length + 1, code: [...libs, text].join('\n;\n'), pending: attribute(info, 'pending') });
      last = undefined;
    }
  }
  return out;
}

function splitMessage(text: string): { head: string[]; body?: string } {
  const at = text.indexOf('\n\n');
  const head = (at === -1 ? text : text.slice(0, at)).split('\n').filter((l) => l.trim() !== '');
  const body = at === -1 ? undefined : text.slice(at + 2).trim() || undefined;
  return { head, body };
}

function headersOf(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (!m) throw new Error(`not a header line: ${line}`);
    headers[m[1].toLowerCase()] = m[2];
  }
  return headers;
}

function parseRequest(text: string) {
  const { head, body } = splitMessage(text);
  const m = /^(GET|POST|PUT|PATCH|DELETE) (\S+)$/.exec(head[0] ?? '');
  if (!m) throw new Error(`request block must start with "METHOD /path": ${head[0]}`);
  return { method: m[1], path: m[2], headers: headersOf(head.slice(1)), body };
}

function parseResponse(text: string) {
  const { head, body } = splitMessage(text);
  const m = /^HTTP\/1\.1 (\d{3})\b/.exec(head[0] ?? '');
  if (!m) throw new Error(`response block must start with "HTTP/1.1 <status>": ${head[0]}`);
  return { status: Number(m[1]), headers: headersOf(head.slice(1)), body };
}

export type Vars = Record<string, unknown>;

/** `{{name}}` and `{{totp(name)}}` (the current code of a TOTP secret) in request text. */
export function substitute(text: string, vars: Vars, now: number = Date.now()): string {
  return text.replace(/\{\{\s*([A-Za-z0-9_]+)(?:\(([A-Za-z0-9_]+)\))?\s*\}\}/g, (_all, name: string, arg: string | undefined) => {
    if (name === 'totp' && arg) {
      const secret = vars[arg];
      if (typeof secret !== 'string') throw new Error(`variable ${arg} is not bound (needed by totp)`);
      return new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: now });
    }
    if (!(name in vars)) throw new Error(`variable {{${name}}} is not bound by an earlier example`);
    const value = vars[name];
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/** Match an actual value against a template; binds variables; returns a list of mismatches. */
export function matchTemplate(expected: unknown, actual: unknown, vars: Vars, path = '$'): string[] {
  if (typeof expected === 'string') {
    const whole = /^\{\{\s*([A-Za-z0-9_]+)\s*\}\}$/.exec(expected);
    if (whole) {
      const name = whole[1];
      if (actual === undefined) return [`${path}: missing (expected {{${name}}})`];
      // A response names the value it hands to later steps: it (re)binds, like "the new accessToken".
      vars[name] = actual;
      return [];
    }
    if (expected.includes('…') || expected.includes('{{')) {
      if (typeof actual !== 'string') return [`${path}: expected a string matching ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
      const names: string[] = [];
      const pattern = expected
        .split(/(…|\{\{\s*[A-Za-z0-9_]+\s*\}\})/)
        .map((part) => {
          if (part === '…') return '[\\s\\S]*?';
          const v = /^\{\{\s*([A-Za-z0-9_]+)\s*\}\}$/.exec(part);
          if (v) {
            names.push(v[1]);
            return '([^\\s&"\'<>]+)';
          }
          return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      const m = new RegExp(`^${pattern}$`).exec(actual);
      if (!m) return [`${path}: ${JSON.stringify(actual.slice(0, 300))} does not match ${JSON.stringify(expected)}`];
      names.forEach((name, i) => {
        vars[name] = decodeURIComponent(m[i + 1]);
      });
      return [];
    }
    return expected === actual ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length < expected.length) return [`${path}: expected at least ${expected.length} items, got ${actual.length}`];
    return expected.flatMap((item, i) => matchTemplate(item, actual[i], vars, `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(expected).flatMap(([key, value]) =>
      key in (actual as object) ? matchTemplate(value, (actual as Record<string, unknown>)[key], vars, `${path}.${key}`) : [`${path}.${key}: missing`],
    );
  }
  return expected === actual ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

export class PendingExample extends Error {}

export interface LiveServer {
  url: string;
}

/** Send one request example; throws PendingExample when the endpoint does not exist yet. */
export async function runHttpExample(server: LiveServer, example: HttpExample, vars: Vars, now?: number): Promise<void> {
  // A GET is safe to repeat: poll briefly for results that arrive asynchronously (mails in the outbox).
  const attempts = example.method === 'GET' ? 30 : 1;
  for (let attempt = 1; ; attempt++) {
    const trial: Vars = { ...vars };
    try {
      await runHttpOnce(server, example, trial, now);
      Object.assign(vars, trial);
      return;
    } catch (error) {
      if (error instanceof PendingExample || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function runHttpOnce(server: LiveServer, example: HttpExample, vars: Vars, now?: number): Promise<void> {
  const path = substitute(example.path, vars, now);
  const headers = Object.fromEntries(Object.entries(example.headers).map(([k, v]) => [k, substitute(v, vars, now)]));
  const body = example.body === undefined ? undefined : substitute(example.body, vars, now);
  const res = await fetch(`${server.url}${path}`, { method: example.method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let json: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) json = JSON.parse(text);
  const code = (json as { error?: { code?: string } })?.error?.code;
  // "No such endpoint" comes from the router's not-found handler, never from a capability.
  if ((res.status === 404 && code === 'common/not-found') || (res.status === 405 && code === 'common/method-not-allowed')) {
    throw new PendingExample(`${example.method} ${example.path} is not served yet (${res.status} ${code})`);
  }
  const expected = example.response;
  if (!expected) {
    if (res.status >= 400) throw new Error(`${example.method} ${path} → ${res.status} ${text.slice(0, 300)}`);
    return;
  }
  if (res.status !== expected.status) throw new Error(`${example.method} ${path}: expected ${expected.status}, got ${res.status} ${text.slice(0, 400)}`);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(expected.headers)) {
    if (name === 'content-type') continue;
    problems.push(...matchTemplate(value, res.headers.get(name) ?? undefined, vars, `header ${name}`));
  }
  if (expected.body !== undefined) {
    let template: unknown;
    try {
      template = JSON.parse(expected.body);
    } catch {
      throw new Error(`response template of example ${example.index} is not JSON`);
    }
    problems.push(...matchTemplate(template, json, vars));
  }
  if (problems.length) throw new Error(`${example.method} ${path}:\n  ${problems.join('\n  ')}`);
}

/** Run the guide's client code as one async function body. */
export async function runJsExamples(server: LiveServer, code: string, keys: { publishableKey: string }, vars: Vars = {}): Promise<void> {
  const store = new Map<string, string>();
  const localStorage = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, String(v)),
    removeItem: (k: string) => void store.delete(k),
  };
  const quiet = { log: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<unknown>;
  // Values bound by earlier http examples (e.g. uploadUrl) are in scope under their names.
  const names = Object.keys(vars).filter((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !['LATCH_URL', 'PUBLISHABLE_KEY', 'localStorage', 'console'].includes(name));
  const run = new AsyncFunction('LATCH_URL', 'PUBLISHABLE_KEY', 'localStorage', 'console', ...names, code);
  await run(server.url, keys.publishableKey, localStorage, quiet, ...names.map((name) => vars[name]));
}
