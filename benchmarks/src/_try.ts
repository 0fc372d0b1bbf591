import { writeFileSync } from 'node:fs';
import { generateFixtures } from './generate.js';
import { generateHostile, HOSTILE_SHAPES } from './hostile-generate.js';

const target = Number(process.argv[2] ?? 16384);
const t = performance.now();
const f = await generateFixtures([]);
const h = await generateHostile(f, target, 45 * 1024 * 1024);
console.error('gen', (performance.now() - t).toFixed(0), 'ms');
for (const s of HOSTILE_SHAPES)
  console.error(s, h.shapes[s].bytes, h.shapes[s].encodedBytes, h.shapes[s].inflatedBytes ?? '');
console.error('valid', h.valid.bytes, h.valid.attributeValues);
writeFileSync('/tmp/hostile-try.json', JSON.stringify({ f, h }));
