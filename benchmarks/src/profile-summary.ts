// Summarises a .cpuprofile: self time per function (with file:line), the top entries.
// Usage: node --import tsx src/profile-summary.ts <file.cpuprofile> [top]

import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const [file, topArg = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const n = byId.get(id)!;
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const url = n.callFrame.url
    .replace(/^.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/^file:\/\/.*\/(packages|benchmarks)\//, '$1/');
  const key = `${n.callFrame.functionName || '(anonymous)'}  ${url}:${n.callFrame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
});
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg));
for (const [k, v] of rows) {
  process.stdout.write(
    `${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}\n`,
  );
}

// Inclusive time of samlkit's own functions (where the time goes, callees included).
const parent = new Map<number, number>();
for (const n of profile.nodes as (ProfileNode & { children?: number[] })[]) {
  for (const c of n.children ?? []) parent.set(c, n.id);
}
const inclusive = new Map<string, number>();
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!;
    if (!/packages\/core\//.test(n.callFrame.url)) continue;
    const key = `${n.callFrame.functionName || '(anonymous)'}:${n.callFrame.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
  }
});
process.stdout.write('\ninclusive, samlkit functions:\n');
for (const [k, v] of [...inclusive.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(topArg))) {
  process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`);
}
