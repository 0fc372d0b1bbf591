// Re-renders README.md's tables (and the target evaluation) from results/latest.json, without
// measuring again. Usage: node --import tsx src/render.ts [results.json]

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  renderHostileTable,
  renderReadmeTable,
  updateHostileReadme,
  updateReadme,
} from './report.js';
import { evaluateTargets, type Results } from './results.js';

const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const file = resolve(process.argv[2] ?? join(benchDir, 'results', 'latest.json'));
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
results.targets = evaluateTargets(results);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
updateReadme(join(benchDir, 'README.md'), renderReadmeTable(results));
if (results.hostile) {
  updateHostileReadme(join(benchDir, 'README.md'), renderHostileTable(results.hostile, results));
}
process.stdout.write(`re-rendered README.md from ${file}\n`);
