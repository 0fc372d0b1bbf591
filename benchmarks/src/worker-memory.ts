// Peak memory of one library, alone in its process: load it, validate the size's RSA documents
// (assertion-signed, Response+assertion-signed, encrypted) `iterations` times each, report maxRSS.
// `baseline` loads no SAML library and only reads the fixtures: Node's own footprint here.
// Usage: node --import tsx src/worker-memory.ts <fixtures.json> <size> <library|baseline> <iterations>

import { CONTENDER_LOADERS } from './contenders/index.js';
import { readFixtures, type SizeName, type VariantName } from './fixtures.js';
import { runMain } from './run-main.js';

const MEMORY_VARIANTS: readonly VariantName[] = [
  'rsa-assertion',
  'rsa-response-and-assertion',
  'rsa-encrypted',
];

async function main(): Promise<void> {
  const [fixturesPath, sizeArg, library, iterationsArg] = process.argv.slice(2);
  if (!fixturesPath || !sizeArg || !library || !iterationsArg) {
    throw new Error('usage: worker-memory <fixtures.json> <size> <library|baseline> <iterations>');
  }
  const size = sizeArg as SizeName;
  const iterations = Number(iterationsArg);
  const f = readFixtures(fixturesPath);
  const docs = f.documents[size]!;
  let validations = 0;
  if (library !== 'baseline') {
    const load = CONTENDER_LOADERS[library];
    if (!load) throw new Error(`unknown library ${library}`);
    const contender = await load();
    for (const variant of MEMORY_VARIANTS) {
      const b64 = Buffer.from(docs[variant]!.valid, 'utf8').toString('base64');
      const validate = await contender.prepare(f, variant);
      for (let i = 0; i < iterations; i++) {
        if ((await validate(b64)) !== f.nameId) throw new Error(`${library}: wrong NameID`);
        validations++;
      }
    }
  }
  const usage = process.resourceUsage();
  process.stdout.write(
    `${JSON.stringify({
      library,
      size,
      validations,
      peak_rss_mb: Math.round((usage.maxRSS / 1024) * 10) / 10,
      heap_used_mb: Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10,
    })}\n`,
  );
}

runMain('worker-memory', main);
