// `pnpm bench`: builds what is missing, generates the documents, cross-checks them with xmlsec1,
// then runs one process per document size (samlkit + peers + floor side by side), one process per
// library and size for peak memory, one for samlkit's other operations, and the ACS end to end over
// HTTP per adapter (src/acs-e2e.ts, which starts a server process per adapter). Writes
// results/latest.json and the table in README.md.
//
// Then the hostile inputs (src/hostile.ts): time to refusal of ~1 MiB attack shapes, next to a
// valid Response of the same size.
//
// Options: --smoke (tiny run: small documents, few iterations; CI), --sizes small,medium,large,
// --out <file> (default results/latest.json; with --smoke results/tmp/smoke.json), --no-readme,
// --only hostile (just the hostile inputs: replaces the `hostile` section of the output file and
// its README table, keeping the rest).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AcsE2eResult } from './acs-e2e.js';
import { CONTENDER_NAMES, PEER_NAMES } from './contenders/index.js';
import { SIZES, type SizeName, VARIANT_LABELS, VARIANTS } from './fixtures.js';
import type { HostileResult } from './hostile.js';
import { ACS_ADAPTERS, type Mode, memoryIterations } from './plans.js';
import {
  renderHostileTable,
  renderReadmeTable,
  updateHostileReadme,
  updateReadme,
} from './report.js';
import { evaluateTargets, type Results } from './results.js';
import { runMain } from './run-main.js';
import { packageVersion } from './versions.js';
import type { OpsResult } from './worker-ops.js';
import type { SizeResult } from './worker-validate.js';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = resolve(here, '..');
const repoDir = resolve(benchDir, '..');

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** Builds the workspace packages the benchmarks import when their dist is missing. */
function ensureBuilt(): void {
  for (const pkg of ['core', 'testkit', 'redis', ...ACS_ADAPTERS]) {
    const dir = join(repoDir, 'packages', pkg);
    if (!existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'dist', 'index.js')))
      continue;
    log(`building @samlkit/${pkg} (dist missing)…`);
    const r = spawnSync('pnpm', ['-C', dir, 'build'], { stdio: 'inherit' });
    if (r.status !== 0 && pkg !== 'redis') throw new Error(`building @samlkit/${pkg} failed`);
  }
}

const DISTS = ['core', 'testkit', ...ACS_ADAPTERS].map((p) =>
  join(repoDir, 'packages', p, 'dist', 'index.js'),
);

/** Waits (up to 3 minutes) while a workspace package is being rebuilt (its dist is missing). */
async function waitForDists(): Promise<void> {
  for (let i = 0; i < 180 && DISTS.some((d) => !existsSync(d)); i++) {
    if (i === 0) log('waiting for a rebuild of the workspace packages to finish…');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Runs a TypeScript worker in a fresh Node process; resolves with its stdout. A worker that
 * failed because a workspace package's dist vanished (rebuilt meanwhile) is run again.
 */
async function runWorker(script: string, args: readonly string[]): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    await waitForDists();
    const { code, out, err } = await spawnWorker(script, args);
    if (code === 0) return out;
    if (
      attempt < 3 &&
      /ERR_MODULE_NOT_FOUND[\s\S]*@samlkit|@samlkit[\s\S]*ERR_MODULE_NOT_FOUND/.test(err)
    ) {
      log(`${script}: a workspace package was being rebuilt; running it again`);
      continue;
    }
    throw new Error(`${script} ${args.join(' ')} exited with ${code}`);
  }
}

/**
 * Compiles the memory worker to plain JavaScript (each contender in a chunk of its own, every
 * package left external) so it runs without tsx. Under tsx, the workspace packages, which live
 * outside node_modules, are transformed on load and their source maps kept: that alone added
 * ~35 MB RSS to samlkit and nothing to the peers, whose code tsx leaves alone.
 * @returns the path of the compiled worker, inside benchmarks/ so packages resolve from it
 */
async function compileMemoryWorker(): Promise<string> {
  const { build } = await import('esbuild');
  const outdir = join(benchDir, 'node_modules', '.cache', 'samlkit-bench-memory');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [join(here, 'worker-memory.ts')],
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return join(outdir, 'worker-memory.mjs');
}

function spawnWorker(
  script: string,
  args: readonly string[],
): Promise<{ code: number | null; out: string; err: string }> {
  // A compiled worker (an absolute .mjs path) runs on plain Node; the others through tsx.
  const entry = script.endsWith('.mjs') ? [script] : ['--import', 'tsx', join(here, script)];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', ...entry, ...args], {
      cwd: benchDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      process.stderr.write(c);
    });
    child.once('error', reject);
    child.once('exit', (code) => resolvePromise({ code, out, err }));
  });
}

function machine() {
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    free_memory_gb_at_start: Math.round((freemem() / 2 ** 30) * 10) / 10,
    os: `${process.platform} ${process.arch}`,
    node: process.version,
    loadavg_at_start:
      (process as unknown as { loadavg?: () => number[] }).loadavg?.() ?? readLoadavg(),
  };
}

function readLoadavg(): number[] {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      out: { type: 'string' },
      'no-readme': { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  });
  if (values.only !== undefined && values.only !== 'hostile' && values.only !== 'acs') {
    throw new Error(`--only: unknown section ${values.only} (known: hostile, acs)`);
  }
  const mode: Mode = values.smoke ? 'smoke' : 'full';
  const sizes = (values.sizes?.split(',') ??
    (mode === 'smoke' ? ['small'] : [...SIZES])) as SizeName[];
  for (const s of sizes) if (!SIZES.includes(s)) throw new Error(`unknown size ${s}`);
  // A smoke run never replaces the published figures unless asked to.
  const defaultOut =
    mode === 'smoke'
      ? join(benchDir, 'results', 'tmp', 'smoke.json')
      : join(benchDir, 'results', 'latest.json');
  const outPath = resolve(values.out ?? defaultOut);
  const started = Date.now();

  ensureBuilt();
  // Imported after the build: generation uses the built @samlkit/core and @samlkit/testkit.
  const { generateFixtures } = await import('./generate.js');
  const { writeFixtures } = await import('./fixtures.js');
  const { xmlsecCheck } = await import('./xmlsec.js');

  const work = mkdtempSync(join(tmpdir(), 'samlkit-bench-'));
  if (values.only === 'acs') {
    try {
      await onlyAcs(mode, outPath, work, started);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  if (values.only === 'hostile') {
    try {
      await onlyHostile(mode, outPath, work, !values['no-readme'], started);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  try {
    log(`generating documents (${sizes.join(', ')})…`);
    const fixtures = await generateFixtures(sizes);
    const fixturesPath = join(work, 'fixtures.json');
    writeFixtures(fixturesPath, fixtures);

    const xmlsec = xmlsecCheck(fixtures);
    const bad = xmlsec.checked.filter((c) => !c.valid_verified || !c.tampered_refused);
    if (bad.length > 0)
      throw new Error(`xmlsec1 disagrees with the documents: ${JSON.stringify(bad)}`);
    log(xmlsec.available ? `xmlsec1 verified ${xmlsec.checked.length} documents` : xmlsec.note);

    const sizeResults: Record<string, SizeResult> = {};
    for (const size of sizes) {
      log(`validating ${size} documents (one process)…`);
      const out = join(work, `size-${size}.json`);
      await runWorker('worker-validate.ts', [fixturesPath, size, mode, out]);
      sizeResults[size] = JSON.parse(readFileSync(out, 'utf8')) as SizeResult;
    }

    log('peak memory (one process per library and size)…');
    // Peak RSS does not depend on what else runs, so two of these processes run at a time.
    const memory: Record<string, Record<string, number>> = {};
    const jobs: { size: SizeName; lib: string }[] = [];
    for (const size of sizes) {
      memory[size] = {};
      for (const lib of ['baseline', ...CONTENDER_NAMES]) jobs.push({ size, lib });
    }
    const memoryWorker = await compileMemoryWorker();
    const runJob = async ({ size, lib }: { size: SizeName; lib: string }) => {
      const out = await runWorker(memoryWorker, [
        fixturesPath,
        size,
        lib,
        String(memoryIterations(mode, size)),
      ]);
      const parsed = JSON.parse(out.trim().split('\n').pop()!) as { peak_rss_mb: number };
      memory[size]![lib] = parsed.peak_rss_mb;
    };
    const queue = [...jobs];
    await Promise.all(
      [0, 1].map(async () => {
        for (let job = queue.shift(); job; job = queue.shift()) await runJob(job);
      }),
    );
    // Keep the column order stable (baseline, samlkit, peers) whatever order the jobs ended in.
    for (const size of sizes) {
      memory[size] = Object.fromEntries(
        ['baseline', ...CONTENDER_NAMES].map((l) => [l, memory[size]![l]!]),
      );
    }

    log('other operations…');
    const opsOut = join(work, 'ops.json');
    let ops: OpsResult;
    try {
      await runWorker('worker-ops.ts', [fixturesPath, mode, opsOut]);
      ops = JSON.parse(readFileSync(opsOut, 'utf8')) as OpsResult;
    } catch (e) {
      // These are secondary: a failure is recorded, not fatal to the validation results.
      log(`other operations failed: ${(e as Error).message}`);
      ops = {
        operations: {},
        not_run: { 'other operations': `the worker failed: ${(e as Error).message}` },
      };
    }

    log('ACS end to end over HTTP (a server process per adapter)…');
    const acsOut = join(work, 'acs-e2e.json');
    let acsE2e: AcsE2eResult['adapters'];
    let acsInProcess: AcsE2eResult['in_process'];
    try {
      await runWorker('acs-e2e.ts', [mode, acsOut]);
      ({ adapters: acsE2e, in_process: acsInProcess } = JSON.parse(
        readFileSync(acsOut, 'utf8'),
      ) as AcsE2eResult);
    } catch (e) {
      acsInProcess = { status: 'not-run', reason: `the driver failed: ${(e as Error).message}` };
      // Secondary too: an adapter that could not be measured carries the reason.
      log(`ACS end to end failed: ${(e as Error).message}`);
      acsE2e = Object.fromEntries(
        ACS_ADAPTERS.map((a) => [
          `@samlkit/${a}`,
          { status: 'not-run', reason: `the driver failed: ${(e as Error).message}` } as const,
        ]),
      );
    }

    log('hostile inputs (time to refusal, ~1 MiB each)…');
    const notRun: Record<string, string> = { ...ops.not_run };
    let hostile: HostileResult | undefined;
    try {
      hostile = await measureHostile(fixtures, fixturesPath, work, mode);
    } catch (e) {
      // Recorded like the other secondary sections: the validation figures still stand.
      log(`hostile inputs failed: ${(e as Error).message}`);
      notRun['hostile inputs'] = `the driver failed: ${(e as Error).message}`;
    }

    const versions: Record<string, string> = {
      '@samlkit/core': packageVersion('@samlkit/core'),
      '@samlkit/testkit': packageVersion('@samlkit/testkit'),
      tinybench: packageVersion('tinybench'),
      autocannon: packageVersion('autocannon'),
      'xml-crypto (floor)': packageVersion('xml-crypto'),
      '@xmldom/xmldom (floor)': packageVersion('@xmldom/xmldom'),
    };
    for (const p of PEER_NAMES) versions[p] = packageVersion(p);
    const peerChecks: Record<string, string> = {};
    const { CONTENDER_LOADERS } = await import('./contenders/index.js');
    for (const n of CONTENDER_NAMES) peerChecks[n] = (await CONTENDER_LOADERS[n]!()).checks;

    const results: Results = {
      schema: 'samlkit-benchmarks/1',
      mode,
      generated_at: new Date().toISOString(),
      duration_s: Math.round((Date.now() - started) / 1000),
      machine: machine(),
      versions,
      checks: peerChecks,
      variants: Object.fromEntries(VARIANTS.map((v) => [v, VARIANT_LABELS[v]])),
      documents: Object.fromEntries(
        sizes.map((s) => [
          s,
          {
            attribute_values: fixtures.attributeValues[s] ?? 0,
            bytes: Object.fromEntries(
              Object.entries(fixtures.documents[s]!).map(([v, p]) => [v, p!.bytes]),
            ),
          },
        ]),
      ),
      xmlsec1: xmlsec,
      sizes: sizeResults,
      memory_peak_rss_mb: memory,
      operations: ops.operations,
      acs_e2e: acsE2e,
      acs_in_process: acsInProcess,
      not_run: notRun,
      targets: { growth: {}, checks: [] },
      ...(hostile ? { hostile } : {}),
    };
    results.targets = evaluateTargets(results);
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${outPath}`);
    if (mode === 'full' && !values['no-readme']) {
      updateReadme(join(benchDir, 'README.md'), renderReadmeTable(results));
      if (hostile) {
        updateHostileReadme(join(benchDir, 'README.md'), renderHostileTable(hostile, results));
      }
      log('updated README.md');
    }
    const hostileTable = hostile ? `\n\n${renderHostileTable(hostile, results)}` : '';
    process.stdout.write(`${renderReadmeTable(results)}${hostileTable}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The hostile-input benchmark (src/hostile.ts) on the given fixtures' keys and identifiers. */
async function measureHostile(
  fixtures: import('./fixtures.js').Fixtures,
  fixturesPath: string,
  work: string,
  mode: Mode,
): Promise<HostileResult> {
  const { runHostile } = await import('./hostile.js');
  const { DEFAULT_XML_LIMITS } = await import('@samlkit/core');
  return runHostile(fixtures, fixturesPath, work, mode, DEFAULT_XML_LIMITS.maxSize);
}

/**
 * `--only hostile`: measures the hostile inputs alone and replaces the `hostile` section of the
 * output file (and its README table), keeping every other figure as it was.
 */
async function onlyHostile(
  mode: Mode,
  outPath: string,
  work: string,
  readme: boolean,
  started: number,
): Promise<void> {
  ensureBuilt();
  const { generateFixtures } = await import('./generate.js');
  const { writeFixtures } = await import('./fixtures.js');
  log('generating keys…');
  const fixtures = await generateFixtures([]);
  const fixturesPath = join(work, 'fixtures.json');
  writeFixtures(fixturesPath, fixtures);
  const atStart = machine();
  const hostile = await measureHostile(fixtures, fixturesPath, work, mode);
  const previous = existsSync(outPath)
    ? (JSON.parse(readFileSync(outPath, 'utf8')) as Record<string, unknown>)
    : undefined;
  const meta = {
    hostile_generated_at: new Date().toISOString(),
    hostile_duration_s: Math.round((Date.now() - started) / 1000),
    // Other work on the machine moves these figures: the load is recorded at both ends.
    hostile_machine: { ...atStart, loadavg_at_end: readLoadavg() },
  };
  const merged = previous
    ? { ...previous, ...meta, hostile }
    : {
        schema: 'samlkit-benchmarks/1',
        mode,
        generated_at: meta.hostile_generated_at,
        machine: meta.hostile_machine,
        ...meta,
        hostile,
      };
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(merged, null, 2)}\n`);
  log(`wrote ${outPath} (hostile section)`);
  const table = renderHostileTable(hostile, merged as unknown as Results);
  if (mode === 'full' && readme) {
    updateHostileReadme(join(benchDir, 'README.md'), table);
    log('updated README.md (hostile table)');
  }
  process.stdout.write(`${table}\n`);
}

/**
 * `--only acs`: measures the ACS end to end alone and replaces the `acs_e2e` section of the output
 * file, keeping every other figure as it was.
 */
async function onlyAcs(mode: Mode, outPath: string, work: string, started: number): Promise<void> {
  ensureBuilt();
  const atStart = machine();
  const acsOut = join(work, 'acs-e2e.json');
  await runWorker('acs-e2e.ts', [mode, acsOut]);
  const { adapters: acsE2e, in_process: acsInProcess } = JSON.parse(
    readFileSync(acsOut, 'utf8'),
  ) as AcsE2eResult;
  const previous = existsSync(outPath)
    ? (JSON.parse(readFileSync(outPath, 'utf8')) as Record<string, unknown>)
    : {};
  const merged = {
    ...previous,
    acs_e2e_generated_at: new Date().toISOString(),
    acs_e2e_duration_s: Math.round((Date.now() - started) / 1000),
    acs_e2e_machine: { ...atStart, loadavg_at_end: readLoadavg() },
    acs_e2e: acsE2e,
    acs_in_process: acsInProcess,
  };
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(merged, null, 2)}\n`);
  log(`wrote ${outPath} (acs_e2e and acs_in_process sections)`);
}

runMain('bench', main);
