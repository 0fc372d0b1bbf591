// Prints the plain summary line CI reads, from vitest's JSON report: tests that passed, tests
// that failed, plus test files that failed without a failing test (they could not even load).
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of report.testResults ?? []) {
  const results = file.assertionResults ?? [];
  let fileFailed = 0;
  for (const r of results) {
    if (r.status === 'passed') passed++;
    else if (r.status === 'failed') fileFailed++;
    else skipped++;
  }
  if (file.status === 'failed' && fileFailed === 0) fileFailed = 1;
  failed += fileFailed;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
