// The hostile-input benchmark's driver: generates the inputs, runs src/worker-hostile.ts once per
// library (restarting it after a shape that exceeds the time limit), and turns the samples into
// the `hostile` section of latest.json with the goal evaluated per shape.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Fixtures } from './fixtures.js';
import {
  generateHostile,
  HOSTILE_SHAPE_INFO,
  HOSTILE_SHAPES,
  type HostileFixtures,
  type HostileShape,
} from './hostile-generate.js';
import type { Mode } from './plans.js';
import { percentile, round3 } from './timing.js';
import type { HostileEvent } from './worker-hostile.js';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = resolve(here, '..');

/** The goal every shape is held to: refused in under this many milliseconds… */
export const HOSTILE_GOAL_MS = 50;
/** …and faster than the valid Response of the same size validates. */
const GOAL_TEXT = `refused (by samlkit) in under ${HOSTILE_GOAL_MS} ms (median) and faster than samlkit validates the valid Response of the same size`;

/** The libraries measured here: samlkit, and the peers whose entry points take the same inputs. */
export const HOSTILE_LIBRARIES = ['samlkit', '@node-saml/node-saml', 'samlify'] as const;

export interface HostileTiming {
  /** Completed timed runs (warm-up runs excluded). */
  readonly runs: number;
  readonly medianMs: number | null;
  readonly p95Ms: number | null;
  readonly minMs: number | null;
  readonly maxMs: number | null;
  /** A run did not finish within the time limit: the figures above are null, the run took at least `atLeastMs`. */
  readonly timedOut: boolean;
  readonly atLeastMs?: number;
}

export interface HostileOutcome extends HostileTiming {
  readonly status: 'measured' | 'unsupported' | 'failed';
  /** Why a library was not measured on this shape (unsupported, or its process failed). */
  readonly reason?: string;
  /** The library accepted the input (it should not have). */
  readonly accepted: boolean;
  /** samlkit: the SamlError code; peers: the start of their error message. Null if accepted or not measured. */
  readonly refusedCode: string | null;
}

export interface HostileShapeResult extends HostileOutcome {
  readonly label: string;
  readonly description: string;
  readonly binding: 'post' | 'redirect';
  /** Whether the DigestValue was recomputed over the hostile content, left stale, or n/a. */
  readonly digest: string;
  /** XML characters of the document (POST), or the Redirect query's length. */
  readonly bytes: number;
  /** Length of the value as received (base64 form field, or the URL). */
  readonly encodedBytes: number;
  readonly inflatedBytes?: number;
  /** samlkit refused it within the goal (see `hostile.goal`). */
  readonly goalMet: boolean;
  /** The same input through the peers' entry points (time to refusal). */
  readonly peers: Record<string, HostileOutcome>;
}

export interface HostileResult {
  readonly goal: string;
  readonly goalMs: number;
  /** samlkit's default XML size limit (DEFAULT_XML_LIMITS.maxSize), which the documents stay under. */
  readonly maxSize: number;
  readonly targetBytes: number;
  /** Per-shape time limit for one library (a run still going then is stopped). */
  readonly timeoutMs: number;
  readonly valid: HostileOutcome & {
    readonly bytes: number;
    readonly encodedBytes: number;
    readonly attributeValues: number;
    readonly peers: Record<string, HostileOutcome>;
  };
  readonly shapes: Record<string, HostileShapeResult>;
  readonly summary: { readonly goalMet: number; readonly shapes: number };
}

/** Sizes per mode: ~1 MiB (under the default limit) for real runs, tiny ones for the smoke test. */
export function hostilePlan(mode: Mode, maxSize: number) {
  return mode === 'smoke'
    ? { targetBytes: 16 * 1024, bombInflatedBytes: 2 * 1024 * 1024, timeoutMs: 60_000 }
    : { targetBytes: maxSize - 4096, bombInflatedBytes: 45 * 1024 * 1024, timeoutMs: 30_000 };
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

interface Collected {
  samples: { ms: number; outcome: string; code: string }[];
  timedOut: boolean;
  unsupported?: string;
  failed?: string;
}

/**
 * Runs the worker for one library over `shapes`; a shape still running after `timeoutMs` is
 * stopped (the process is killed) and the worker started again for the shapes after it.
 */
async function runLibrary(
  library: string,
  shapes: readonly string[],
  paths: { fixtures: string; hostile: string },
  mode: Mode,
  timeoutMs: number,
): Promise<Map<string, Collected>> {
  const out = new Map<string, Collected>(
    shapes.map((s) => [s, { samples: [], timedOut: false }] as const),
  );
  let remaining = [...shapes];
  while (remaining.length > 0) {
    const finished = new Set<string>();
    let current: string | undefined;
    let stderr = '';
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        join(here, 'worker-hostile.ts'),
        paths.fixtures,
        paths.hostile,
        library,
        mode,
        remaining.join(','),
      ],
      { cwd: benchDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let timer: NodeJS.Timeout | undefined;
    let buffer = '';
    const onEvent = (e: HostileEvent) => {
      const c = out.get(e.shape)!;
      if (e.event === 'start') {
        current = e.shape;
        clearTimeout(timer);
        timer = setTimeout(() => {
          c.timedOut = true;
          log(`  ${library} / ${e.shape}: still running after ${timeoutMs} ms; stopped`);
          child.kill('SIGKILL');
        }, timeoutMs);
      } else if (e.event === 'sample') {
        c.samples.push({ ms: e.ms, outcome: e.outcome, code: e.code });
      } else if (e.event === 'unsupported') {
        c.unsupported = e.reason;
        finished.add(e.shape);
      } else {
        clearTimeout(timer);
        finished.add(e.shape);
        current = undefined;
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const line = buffer.slice(0, i).trim();
        buffer = buffer.slice(i + 1);
        if (line.startsWith('{')) onEvent(JSON.parse(line) as HostileEvent);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const code = await new Promise<number | null>((res, rej) => {
      child.once('error', rej);
      child.once('exit', (c) => res(c));
    });
    clearTimeout(timer);
    if (current !== undefined) {
      const c = out.get(current)!;
      if (!c.timedOut) {
        // The process died on this shape (out of memory, a crash): recorded, then the next shape.
        c.failed = `the process exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
        log(`  ${library} / ${current}: ${c.failed}`);
      }
      finished.add(current);
    } else if (code !== 0 && finished.size === 0) {
      throw new Error(`worker-hostile ${library} failed before its first shape: ${stderr}`);
    }
    remaining = remaining.filter((s) => !finished.has(s));
  }
  return out;
}

function outcomeOf(c: Collected, timeoutMs: number): HostileOutcome {
  const ms = c.samples.map((s) => s.ms).sort((a, b) => a - b);
  const base = {
    runs: ms.length,
    timedOut: c.timedOut,
    ...(c.timedOut ? { atLeastMs: timeoutMs } : {}),
  };
  const stats = c.timedOut || ms.length === 0;
  const timing = {
    medianMs: stats ? null : round3(percentile(ms, 50)),
    p95Ms: stats ? null : round3(percentile(ms, 95)),
    minMs: stats ? null : round3(ms[0]!),
    maxMs: stats ? null : round3(ms[ms.length - 1]!),
  };
  if (c.unsupported !== undefined) {
    return {
      status: 'unsupported',
      reason: c.unsupported,
      accepted: false,
      refusedCode: null,
      ...base,
      ...timing,
    };
  }
  if (c.failed !== undefined) {
    return {
      status: 'failed',
      reason: c.failed,
      accepted: false,
      refusedCode: null,
      ...base,
      ...timing,
    };
  }
  const accepted = c.samples.some((s) => s.outcome === 'accepted');
  const refusal = c.samples.find((s) => s.outcome === 'refused');
  return {
    status: 'measured',
    accepted,
    refusedCode: refusal ? refusal.code : null,
    ...base,
    ...timing,
  };
}

/**
 * Generates the hostile inputs from the benchmark fixtures and measures samlkit and the peers.
 * @param workDir - where the inputs are written for the worker processes
 */
export async function runHostile(
  fixtures: Fixtures,
  fixturesPath: string,
  workDir: string,
  mode: Mode,
  maxSize: number,
  // The smoke run checks samlkit's refusals only: the peers take seconds on the 1 MiB oversize input.
  libraries: readonly string[] = mode === 'smoke' ? ['samlkit'] : HOSTILE_LIBRARIES,
): Promise<HostileResult> {
  const plan = hostilePlan(mode, maxSize);
  log(`hostile inputs: generating (~${Math.round(plan.targetBytes / 1024)} KiB each)…`);
  const h: HostileFixtures = await generateHostile(
    fixtures,
    plan.targetBytes,
    plan.bombInflatedBytes,
  );
  const hostilePath = join(workDir, 'hostile.json');
  writeFileSync(hostilePath, JSON.stringify(h));
  const shapeNames = ['valid', ...HOSTILE_SHAPES];
  const perLibrary = new Map<string, Map<string, Collected>>();
  for (const library of libraries) {
    log(`hostile inputs: ${library}…`);
    perLibrary.set(
      library,
      await runLibrary(
        library,
        shapeNames,
        { fixtures: fixturesPath, hostile: hostilePath },
        mode,
        plan.timeoutMs,
      ),
    );
  }
  const get = (library: string, shape: string) =>
    outcomeOf(perLibrary.get(library)!.get(shape)!, plan.timeoutMs);
  const peersOf = (shape: string) =>
    Object.fromEntries(libraries.filter((l) => l !== 'samlkit').map((l) => [l, get(l, shape)]));

  const valid = get('samlkit', 'valid');
  const shapes: Record<string, HostileShapeResult> = {};
  let met = 0;
  for (const shape of HOSTILE_SHAPES) {
    const info = HOSTILE_SHAPE_INFO[shape as HostileShape];
    const input = h.shapes[shape];
    const o = get('samlkit', shape);
    const goalMet =
      o.status === 'measured' &&
      !o.accepted &&
      o.medianMs !== null &&
      o.medianMs < HOSTILE_GOAL_MS &&
      valid.medianMs !== null &&
      o.medianMs < valid.medianMs;
    if (goalMet) met++;
    shapes[shape] = {
      label: info.label,
      description: info.description,
      binding: info.binding,
      digest: info.digest,
      bytes: input.bytes,
      encodedBytes: input.encodedBytes,
      ...(input.inflatedBytes !== undefined ? { inflatedBytes: input.inflatedBytes } : {}),
      ...o,
      goalMet,
      peers: peersOf(shape),
    };
  }
  return {
    goal: GOAL_TEXT,
    goalMs: HOSTILE_GOAL_MS,
    maxSize: h.maxSize,
    targetBytes: h.targetBytes,
    timeoutMs: plan.timeoutMs,
    valid: {
      ...valid,
      bytes: h.valid.bytes,
      encodedBytes: h.valid.encodedBytes,
      attributeValues: h.valid.attributeValues,
      peers: peersOf('valid'),
    },
    shapes,
    summary: { goalMet: met, shapes: HOSTILE_SHAPES.length },
  };
}
