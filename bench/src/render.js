// `npm run render [FILE.json]`: rewrite the markdown report from a run's raw rounds (after a change to
// the report's layout), without measuring again.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderReport } from './report.js';

const json = process.argv[2] ?? fileURLToPath(new URL('../RESULTS.json', import.meta.url));
const data = JSON.parse(readFileSync(json, 'utf8'));
const out = json.replace(/\.json$/, '.md');
writeFileSync(out, renderReport(data));
process.stdout.write(`wrote ${out}\n`);
