// Profiles samlkit alone: validates one size/variant for a few seconds under the V8 CPU profiler
// (the same profiler as `node --cpu-prof`, started after warm-up so document generation and
// module loading stay out of it) and writes results/profiles/<size>-<variant>.cpuprofile.
// Usage: node --import tsx src/profile.ts <size> <variant> [seconds]
// Summarise with: node --import tsx src/profile-summary.ts <file.cpuprofile>

import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { samlkit } from './contenders/samlkit.js';
import type { SizeName, VariantName } from './fixtures.js';
import { generateFixtures } from './generate.js';
import { runMain } from './run-main.js';

async function main(): Promise<void> {
  const [size = 'medium', variant = 'rsa-assertion', seconds = '5'] = process.argv.slice(2);
  const f = await generateFixtures([size as SizeName]);
  const pair = f.documents[size]![variant as VariantName]!;
  const b64 = Buffer.from(pair.valid, 'utf8').toString('base64');
  const validate = await samlkit.prepare(f, variant as VariantName);
  for (let i = 0; i < 20; i++) await validate(b64); // warm-up
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const until = performance.now() + Number(seconds) * 1000;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < until) {
    if ((await validate(b64)) !== f.nameId) throw new Error('wrong NameID');
    n++;
  }
  const per = (performance.now() - t0) / n;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'profiles');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${size}-${variant}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  process.stdout.write(
    `${size}/${variant}: ${n} validations, ${per.toFixed(3)} ms each; profile: ${file}\n`,
  );
}

runMain('profile', main);
