// Differential test of XML signatures against xmlsec1 (an independent XML-DSig and c14n
// implementation on libxml2): see test/fuzz/harness.ts. Every combination runs its documents from a
// fixed seed and from a random one (printed, so a failure can be replayed with
// `pnpm fuzz -- --seed S --count 1 --combo NAME`). Any divergence fails the test.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMBOS,
  Differential,
  formatSummary,
  runBatch,
  xmlsecAvailable,
} from '../../../../test/fuzz/harness.js';

const version = xmlsecAvailable();
if (!version) {
  if (process.env.CI === 'true') {
    throw new Error('xmlsec1 is required under CI for the differential signature test');
  }
  console.warn('\n!!! xmlsec1 is not installed: the differential signature test is SKIPPED !!!\n');
}

const FIXED_SEED = 20_261_206;
const RANDOM_SEED = Math.floor(Math.random() * 0x7fffffff);
// 14 combinations × (40 + 32) = 1,008 documents.
const PER_COMBO_FIXED = 40;
const PER_COMBO_RANDOM = 32;

describe.skipIf(!version)(`differential signatures against ${version}`, () => {
  let harness: Differential;
  beforeAll(async () => {
    harness = await Differential.create();
    console.log(`differential test: fixed seed ${FIXED_SEED}, random seed ${RANDOM_SEED}`);
  });
  afterAll(() => harness?.close());

  it.each(COMBOS.map((c) => [c.name, c] as const))(
    '%s: samlkit and xmlsec1 agree',
    async (_name, combo) => {
      const lines: string[] = [];
      let failures = 0;
      for (const [seed, count] of [
        [FIXED_SEED, PER_COMBO_FIXED],
        [RANDOM_SEED, PER_COMBO_RANDOM],
      ] as const) {
        const summary = await runBatch(harness, seed, count, [combo]);
        failures += summary.failures.length;
        lines.push(`seed ${seed}:\n${formatSummary(summary)}`);
        for (const f of summary.failures.slice(0, 5)) {
          lines.push(
            `  replay: pnpm fuzz -- --seed ${f.seed} --count 1 --combo ${f.combo}  (${f.classes.join(', ')}) ${f.detail.slice(0, 300)}`,
          );
        }
      }
      if (failures > 0) console.log(lines.join('\n'));
      expect(failures, lines.join('\n')).toBe(0);
    },
    180_000,
  );
});
