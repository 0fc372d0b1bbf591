// One process per document size: samlkit, every peer and the floor, measured side by side.
// Usage: node --import tsx src/worker-validate.ts <fixtures.json> <size> <full|smoke> <out.json>

import { writeFileSync } from 'node:fs';
import type { Validate } from './contender.js';
import { CONTENDER_LOADERS, PEER_NAMES } from './contenders/index.js';
import { readFixtures, type SizeName, VARIANTS } from './fixtures.js';
import { type C14nImpl, prepareFloor } from './floor.js';
import { type Mode, timingPlan } from './plans.js';
import { runMain } from './run-main.js';
import { measureInterleaved, round3, type TimedTask, type TimingStats } from './timing.js';

export interface Acceptance {
  readonly accepts_valid: boolean;
  readonly refuses_tampered: boolean;
  /** Why the valid document was refused, or the tampered one accepted. */
  readonly note?: string;
}

export type ContenderResult = Acceptance &
  Partial<TimingStats> & {
    readonly version: string;
    /** `timed`, or why not: `unsupported` (refused the valid document), `unsafe` (accepted the tampered one). */
    readonly status: 'timed' | 'unsupported' | 'unsafe';
    /** This peer's p50 ÷ samlkit's p50 (how many times faster samlkit is). */
    readonly samlkit_speedup?: number;
  };

export interface VariantResult {
  readonly bytes: number;
  readonly samlkit: ContenderResult;
  readonly peers: Record<string, ContenderResult>;
  readonly floor: TimingStats;
  readonly floor_xml_crypto: TimingStats;
  readonly fastest_peer: string | null;
  /** Fastest peer p50 ÷ samlkit p50; null when no peer validates this variant. */
  readonly ratio_fastest_peer: number | null;
  /** samlkit p50 ÷ floor p50. */
  readonly ratio_floor: number | null;
  readonly ratio_floor_xml_crypto: number | null;
}

export interface SizeResult {
  readonly size: SizeName;
  readonly attribute_values: number;
  readonly plan: ReturnType<typeof timingPlan>;
  readonly variants: Record<string, VariantResult>;
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 200);
}

async function acceptance(validate: Validate, valid: string, tampered: string, nameId: string) {
  let accepts_valid = false;
  let refuses_tampered = false;
  let note: string | undefined;
  try {
    const got = await validate(valid);
    accepts_valid = got === nameId;
    if (!accepts_valid) note = `returned NameID ${JSON.stringify(got)}`;
  } catch (e) {
    note = `refused the valid document: ${message(e)}`;
  }
  try {
    const got = await validate(tampered);
    note = `ACCEPTED THE TAMPERED DOCUMENT (NameID ${JSON.stringify(got)})`;
  } catch {
    refuses_tampered = true;
  }
  return { accepts_valid, refuses_tampered, ...(note ? { note } : {}) };
}

async function main(): Promise<void> {
  const [fixturesPath, sizeArg, modeArg, outPath] = process.argv.slice(2);
  if (!fixturesPath || !sizeArg || !modeArg || !outPath) {
    throw new Error('usage: worker-validate <fixtures.json> <size> <full|smoke> <out.json>');
  }
  const size = sizeArg as SizeName;
  const mode = modeArg as Mode;
  const f = readFixtures(fixturesPath);
  const docs = f.documents[size];
  if (!docs) throw new Error(`no documents for size ${size}`);
  // BENCH_CONTENDERS=samlkit (comma-separated) restricts the run, for profiling work.
  const only = process.env['BENCH_CONTENDERS']?.split(',');
  const contenders = await Promise.all(
    ['samlkit', ...PEER_NAMES]
      .filter((n) => n === 'samlkit' || !only || only.includes(n))
      .map((n) => CONTENDER_LOADERS[n]!()),
  );
  const plan = timingPlan(mode, size);
  const variants: Record<string, VariantResult> = {};

  for (const variant of VARIANTS) {
    const pair = docs[variant];
    if (!pair) continue;
    const valid = Buffer.from(pair.valid, 'utf8').toString('base64');
    const tampered = Buffer.from(pair.tampered, 'utf8').toString('base64');
    const tasks: TimedTask[] = [];
    const status = new Map<string, ContenderResult>();

    for (const c of contenders) {
      const validate = await c.prepare(f, variant);
      const acc = await acceptance(validate, valid, tampered, f.nameId);
      const st = !acc.refuses_tampered ? 'unsafe' : acc.accepts_valid ? 'timed' : 'unsupported';
      status.set(c.name, { version: c.version, status: st, ...acc });
      if (st === 'timed') {
        tasks.push({
          name: c.name,
          fn: async () => {
            if ((await validate(valid)) !== f.nameId) throw new Error(`${c.name}: wrong NameID`);
          },
        });
      }
    }
    if (status.get('samlkit')!.status !== 'timed') {
      throw new Error(
        `samlkit failed the acceptance check on ${size}/${variant}: ${status.get('samlkit')!.note}`,
      );
    }
    for (const impl of ['samlkit', 'xml-crypto'] as C14nImpl[]) {
      const floor = await prepareFloor(f, variant, impl);
      await floor(valid); // throws if the floor does not really verify
      let refused = false;
      await floor(tampered).catch(() => {
        refused = true;
      });
      if (!refused)
        throw new Error(`floor (${impl}) accepted the tampered ${size}/${variant} document`);
      tasks.push({ name: `floor:${impl}`, fn: () => floor(valid) });
    }

    process.stderr.write(`  ${size}/${variant}: timing ${tasks.map((t) => t.name).join(', ')}\n`);
    const stats = await measureInterleaved(tasks, plan);
    const sk = stats.get('samlkit')!;
    const peers: Record<string, ContenderResult> = {};
    let fastest: string | null = null;
    for (const name of PEER_NAMES) {
      const base = status.get(name);
      if (!base) continue;
      const s = stats.get(name);
      peers[name] = s ? { ...base, ...s, samlkit_speedup: round3(s.p50_ms / sk.p50_ms) } : base;
      if (s && (fastest === null || s.p50_ms < stats.get(fastest)!.p50_ms)) fastest = name;
    }
    const floor = stats.get('floor:samlkit')!;
    const floorXc = stats.get('floor:xml-crypto')!;
    variants[variant] = {
      bytes: pair.bytes,
      samlkit: { ...status.get('samlkit')!, ...sk },
      peers,
      floor,
      floor_xml_crypto: floorXc,
      fastest_peer: fastest,
      ratio_fastest_peer: fastest ? round3(stats.get(fastest)!.p50_ms / sk.p50_ms) : null,
      ratio_floor: round3(sk.p50_ms / floor.p50_ms),
      ratio_floor_xml_crypto: round3(sk.p50_ms / floorXc.p50_ms),
    };
  }
  const result: SizeResult = {
    size,
    attribute_values: f.attributeValues[size] ?? 0,
    plan,
    variants,
  };
  writeFileSync(outPath, JSON.stringify(result, null, 2));
}

runMain('worker-validate', main);
