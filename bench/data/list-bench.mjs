#!/usr/bin/env node
// Data API list benchmark (issue 5, decisions.md §4): 1,000,000 rows spread over 1,000 owners; a
// `self`-filtered list of 20 rows must use an index (p50 ≤ 5 ms). Prints the query plans (EXPLAIN) and
// writes the numbers to bench/data/RESULTS.md.
//
//   npm run build -w packages/server
//   node bench/data/list-bench.mjs [--dialect sqlite|postgres|both] [--rows 1000000] [--owners 1000]
//                                  [--iterations 2000] [--dist packages/server/dist] [--no-write]
//
// PostgreSQL: LATCH_BENCH_POSTGRES_URL (or LATCH_TEST_POSTGRES_URL) names a server where a scratch
// database `latch_bench_data_<pid>` is created and dropped afterwards.
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    dialect: { type: 'string', default: 'both' },
    rows: { type: 'string', default: '1000000' },
    owners: { type: 'string', default: '1000' },
    iterations: { type: 'string', default: '2000' },
    dist: { type: 'string', default: resolve(here, '../../packages/server/dist') },
    'no-write': { type: 'boolean', default: false },
  },
});
const ROWS = Number(args.rows);
const OWNERS = Number(args.owners);
const ITERATIONS = Number(args.iterations);
const dist = resolve(args.dist);
if (!existsSync(join(dist, 'app.js'))) {
  console.error(`No build at ${dist}: run "npm run build -w packages/server" first (or pass --dist).`);
  process.exit(1);
}
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const [{ loadConfig }, { openContext }, { buildApp }, { createTable }, { listRecords, planList, planSql }, { pageQuery }, { ensureApiKey }, { sql }, pg] = await Promise.all([
  load('config/load-config.js'),
  load('bootstrap.js'),
  load('app.js'),
  load('tables/service.js'),
  load('data/list.js'),
  load('data/queries.js'),
  load('api-keys/api-keys.js'),
  import('kysely'),
  import('pg'),
]);

const PK = `pk_${'c3'.repeat(32)}`;
const SK = `sk_${'d4'.repeat(32)}`;

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}
const ms = (n) => `${n.toFixed(2)} ms`;

async function measure(label, iterations, fn) {
  for (let i = 0; i < Math.min(200, iterations); i++) await fn(i); // warm-up
  const samples = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await fn(i);
    samples.push(performance.now() - start);
  }
  const s = stats(samples);
  console.log(`  ${label.padEnd(58)} p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}`);
  return { label, ...s };
}

/** Rows written straight into the physical table in bulk (the Data API's own insert path is per row). */
async function fill(ctx, dialectName, tableId, columns) {
  const table = `t_${tableId}`;
  const { title, status, score } = columns;
  const base = Date.UTC(2025, 0, 1);
  const started = performance.now();
  if (dialectName === 'postgres') {
    const chunk = 250_000;
    for (let from = 0; from < ROWS; from += chunk) {
      const to = Math.min(ROWS, from + chunk) - 1;
      await sql`insert into ${sql.table(table)} (id, created_by, created_at, updated_at, ${sql.ref(title)}, ${sql.ref(status)}, ${sql.ref(score)})
        select lpad(to_hex(${base}::bigint + i), 12, '0') || lpad(to_hex(i), 12, '0'),
               'owner-' || (i % ${OWNERS}), ${base}::bigint + i, ${base}::bigint + i,
               'post ' || i, case when i % 3 = 0 then 'draft' else 'published' end, (i % 100)::float8
        from generate_series(${from}::bigint, ${to}::bigint) as i`.execute(ctx.db);
    }
    await sql`analyze ${sql.table(table)}`.execute(ctx.db);
  } else {
    await sql`insert into ${sql.table(table)} (id, created_by, created_at, updated_at, ${sql.ref(title)}, ${sql.ref(status)}, ${sql.ref(score)})
      with recursive n(i) as (select 0 union all select i + 1 from n where i + 1 < ${ROWS})
      select printf('%012x%012x', ${base} + i, i), 'owner-' || (i % ${OWNERS}), ${base} + i, ${base} + i,
             'post ' || i, case when i % 3 = 0 then 'draft' else 'published' end, i % 100
      from n`.execute(ctx.db);
    await sql`analyze`.execute(ctx.db);
  }
  return performance.now() - started;
}

async function explain(ctx, dialectName, builder) {
  const compiled = builder.compile(ctx.db);
  const prefix = dialectName === 'postgres' ? 'explain (analyze, buffers, costs off) ' : 'explain query plan ';
  const result = await ctx.db.executeQuery({ ...compiled, sql: prefix + compiled.sql });
  return result.rows.map((r) => (dialectName === 'postgres' ? r['QUERY PLAN'] : `${'  '.repeat(Math.max(0, String(r.parent) === '0' ? 0 : 1))}${r.detail}`)).join('\n');
}

async function run(dialectName) {
  let url;
  let cleanup = async () => {};
  let admin;
  if (dialectName === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'latch-bench-data-'));
    url = `file:${join(dir, 'bench.db')}`;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const server = process.env.LATCH_BENCH_POSTGRES_URL ?? process.env.LATCH_TEST_POSTGRES_URL;
    if (!server) {
      console.log('PostgreSQL skipped: set LATCH_BENCH_POSTGRES_URL (or LATCH_TEST_POSTGRES_URL).');
      return undefined;
    }
    const name = `latch_bench_data_${process.pid}`;
    admin = new pg.default.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    const u = new URL(server);
    u.pathname = `/${name}`;
    url = u.toString();
    cleanup = async () => {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
  }
  const config = loadConfig({
    LATCH_DATABASE_URL: url,
    LATCH_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef',
    LATCH_PASSWORD_HASH: 'argon2id:m=64,t=1,p=1',
    LATCH_LOG_LEVEL: 'silent',
    LATCH_RATE_LIMIT: 'off',
    LATCH_DATA_DIR: join(tmpdir(), 'latch-bench-data-dir'),
  });
  const opened = await openContext(config, { migrate: true });
  const { ctx } = opened;
  const out = { dialect: dialectName, rows: ROWS, owners: OWNERS, results: [], plans: {} };
  try {
    console.log(`\n== ${dialectName}: ${ROWS.toLocaleString('en')} rows over ${OWNERS.toLocaleString('en')} owners`);
    const table = await createTable(
      ctx,
      {
        tableName: 'posts',
        schema: { title: { type: 'string' }, status: { type: 'string' }, score: { type: 'number' } },
        indexes: [{ name: 'by_owner_recent', fields: { createdBy: 1, createdAt: -1 } }, { name: 'by_status_score', fields: { status: 1, score: -1 } }],
        // §6 #15: users see only their own rows, through the automatic createdBy filter.
        permissions: { user: { create: true }, self: { read: true, list: true } },
      },
      'bench',
    );
    const full = (await ctx.db.selectFrom('data_tables').select('columns_json').where('id', '=', table.id).executeTakeFirstOrThrow()).columns_json;
    const columns = Object.fromEntries(Object.entries(JSON.parse(full)).map(([k, v]) => [k, v.column]));
    out.loadMs = await fill(ctx, dialectName, table.id, columns);
    console.log(`  loaded in ${(out.loadMs / 1000).toFixed(1)} s`);

    // A real user owns one of the 1,000 slices, so the HTTP path runs with a real access token.
    await ensureApiKey(ctx, 'publishable', PK);
    await ensureApiKey(ctx, 'secret', SK);
    const app = await buildApp(ctx);
    await app.ready();
    const signUp = await app.inject({ method: 'POST', url: '/v1/auth/email/signup', headers: { 'x-api-key': PK }, payload: { method: 'password', email: 'bench@example.test', password: 'Bench-Password-123!', name: 'Bench' } });
    const token = signUp.json().accessToken;
    const me = (await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { 'x-api-key': PK, authorization: `Bearer ${token}` } })).json();
    await sql`update ${sql.table(`t_${table.id}`)} set created_by = ${me.id} where created_by = 'owner-7'`.execute(ctx.db);
    const requester = (i) => ({ group: 'user', id: i === undefined ? me.id : `owner-${(i * 37) % OWNERS}`, role: 'user', scopes: null });

    out.results.push(await measure('service: self list, 20 newest (id desc)', ITERATIONS, (i) => listRecords(ctx, requester(i), 'posts', { limit: '20' })));
    out.results.push(await measure('service: self list, sortBy=createdAt desc (declared index)', ITERATIONS, (i) => listRecords(ctx, requester(i), 'posts', { limit: '20', sortBy: 'createdAt' })));
    out.results.push(await measure('service: self list, page 3, status filter', ITERATIONS, (i) => listRecords(ctx, requester(i), 'posts', { limit: '20', page: '3', andFilters: '{"status":"published"}' })));
    const headers = { 'x-api-key': PK, authorization: `Bearer ${token}` };
    out.results.push(await measure('HTTP GET /v1/data/posts?limit=20 (key + JWT + RLS)', ITERATIONS, async () => {
      const res = await app.inject({ method: 'GET', url: '/v1/data/posts?limit=20', headers });
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${res.body}`);
    }));

    const loaded = await import(pathToFileURL(join(dist, 'tables/service.js')).href).then((m) => m.loadTable(ctx, 'posts'));
    for (const [label, query] of [
      ['self list, 20 newest', { limit: '20' }],
      ['self list, sortBy=createdAt', { limit: '20', sortBy: 'createdAt' }],
    ]) {
      const plan = planList(loaded, 'own', requester(), query);
      const { where, order, offset } = planSql(plan, ctx);
      const page = pageQuery(loaded, where, order, plan.limit, offset);
      const count = sql`select count(*) as n from ${sql.table(`t_${table.id}`)} where ${where}`;
      out.plans[label] = { sql: page.compile(ctx.db).sql, page: await explain(ctx, dialectName, page), count: await explain(ctx, dialectName, count) };
      console.log(`\n  -- ${label}\n  ${out.plans[label].sql}\n${out.plans[label].page.split('\n').map((l) => `    ${l}`).join('\n')}\n  count:\n${out.plans[label].count.split('\n').map((l) => `    ${l}`).join('\n')}`);
    }
    await app.close();
  } finally {
    await opened.close();
    await cleanup();
  }
  return out;
}

const wanted = args.dialect === 'both' ? ['sqlite', 'postgres'] : [args.dialect];
const results = [];
for (const dialectName of wanted) {
  const result = await run(dialectName);
  if (result) results.push(result);
}

if (!args['no-write'] && results.length > 0) {
  const lines = [
    '# Data API list benchmark',
    '',
    `Generated by \`node bench/data/list-bench.mjs\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} cores, load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' / ')}).`,
    'The latencies include client round trips and scheduling on that machine; the plans\' own execution times (PostgreSQL `EXPLAIN ANALYZE` below) show what the database spends.',
    '',
    'Setup: one data table with declared fields `title`, `status`, `score`; declared indexes `{ createdBy: 1, createdAt: -1 }` and `{ status: 1, score: -1 }`;',
    'policy `permissions: { user: { create: true }, self: { read: true, list: true } }` (data-and-rls.md §6 #15, so every list is compiled with `created_by = <requester>`);',
    `rows spread evenly over the owners; ${ITERATIONS} timed requests per line after a warm-up, each for a different owner (service lines) or the signed-in user (HTTP line).`,
    'The service lines time `listRecords` (RLS compile + count + page query + projection); the HTTP line adds API-key and JWT verification, routing and serialization (Fastify inject, no socket).',
    '',
  ];
  for (const r of results) {
    lines.push(`## ${r.dialect}: ${r.rows.toLocaleString('en')} rows, ${r.owners.toLocaleString('en')} owners`, '', `Bulk load: ${(r.loadMs / 1000).toFixed(1)} s.`, '', '| request | p50 | p95 | p99 |', '| --- | ---: | ---: | ---: |');
    for (const x of r.results) lines.push(`| ${x.label} | ${ms(x.p50)} | ${ms(x.p95)} | ${ms(x.p99)} |`);
    lines.push('');
    for (const [label, plan] of Object.entries(r.plans)) {
      lines.push(`Plan, ${label}:`, '', '```sql', plan.sql, '```', '', '```', plan.page, '```', '', 'Count (`pagination.total`):', '', '```', plan.count, '```', '');
    }
  }
  const target = join(here, 'RESULTS.md');
  writeFileSync(target, `${lines.join('\n')}\n`);
  console.log(`\nwrote ${target}`);
}
