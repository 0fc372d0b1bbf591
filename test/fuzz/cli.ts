// `pnpm fuzz -- --count N --seed S [--combo NAME] [--concurrency C] [--no-minimize]`: runs the
// differential test against xmlsec1 and exits 1 on any divergence. test/fuzz/run.mjs builds this
// file with esbuild and runs it.

import { generateDocument, serialize } from './generator.js';
import { COMBOS, Differential, formatSummary, runBatch, xmlsecAvailable } from './harness.js';

function usage(message: string): never {
  console.error(
    `${message}\nusage: pnpm fuzz -- [--count N] [--seed S] [--combo NAME]... [--concurrency C] [--no-minimize] [--verbose] [--print]\ncombinations: ${COMBOS.map((c) => c.name).join(', ')}`,
  );
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  let count = 1000;
  let seed = Math.floor(Math.random() * 0x7fffffff);
  let concurrency: number | undefined;
  let minimize = true;
  let verbose = false;
  let print = false;
  const comboNames: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--') continue;
    else if (a === '--count') count = Number(value());
    else if (a === '--seed') seed = Number(value());
    else if (a === '--combo') comboNames.push(value());
    else if (a === '--concurrency') concurrency = Number(value());
    else if (a === '--no-minimize') minimize = false;
    else if (a === '--verbose') verbose = true;
    else if (a === '--print') print = true;
    else usage(`unknown argument ${a}`);
  }
  if (!Number.isInteger(count) || count < 1) usage('--count must be a positive integer');
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    usage('--seed must be an integer 0..4294967295');
  const combos =
    comboNames.length === 0
      ? COMBOS
      : comboNames.map(
          (n) => COMBOS.find((c) => c.name === n) ?? usage(`unknown combination ${n}`),
        );

  if (print) {
    for (let i = 0; i < count; i++) console.log(serialize(generateDocument((seed + i) >>> 0)));
    return 0;
  }
  const version = xmlsecAvailable();
  if (!version) {
    console.error('xmlsec1 is not installed (apt-get install xmlsec1): nothing to compare with');
    return 2;
  }
  console.log(`differential test against ${version}: ${count} documents from seed ${seed}`);
  const harness = await Differential.create(concurrency);
  try {
    const started = Date.now();
    let done = 0;
    // Ctrl-C (or SIGTERM) finishes the documents in flight and prints the summary so far.
    let stop = false;
    const onSignal = (): void => {
      stop = true;
      console.log('\nstopping: finishing the documents in flight…');
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const summary = await runBatch(
      harness,
      seed,
      count,
      combos,
      (o) => {
        done++;
        if (o.status === 'divergence') {
          console.log(
            `DIVERGENCE seed ${o.seed} ${o.combo}: ${o.classes.join(', ')}  (pnpm fuzz -- --seed ${o.seed} --count 1${comboNames.length ? ` --combo ${o.combo}` : ''})`,
          );
        }
        if (verbose && o.detail) console.log(`  ${o.detail}`);
        if (done % 500 === 0) console.log(`… ${done}/${count}`);
      },
      () => stop,
    );
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    console.log(`\n${formatSummary(summary)}\n\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);
    if (minimize && summary.failures.length > 0) {
      console.log('\nminimized example of each divergence class:');
      const seen = new Set<string>();
      for (const f of [...summary.failures].sort((a, b) => a.seed - b.seed)) {
        if (seen.has(f.classes[0]!)) continue;
        seen.add(f.classes[0]!);
        const combo = COMBOS.find((c) => c.name === f.combo)!;
        const m = await harness.minimize(f.seed, combo, f);
        console.log(
          `\n--- ${f.classes[0]} (seed ${f.seed}, ${f.combo}, ${m.steps} shrink runs)\n${m.xml}\n${m.outcome.classes.join(', ')}: ${m.outcome.detail}`,
        );
      }
    }
    return summary.failures.length > 0 ? 1 : 0;
  } finally {
    harness.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
