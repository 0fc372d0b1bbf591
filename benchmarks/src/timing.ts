// Interleaved measurement: every round runs every task once with tinybench (rotating the order),
// so all contenders see the same noise; samples are pooled across rounds.

import { Bench, type Task } from 'tinybench';

const gc = (globalThis as { gc?: () => void }).gc;

export interface TimingPlan {
  /** Rounds; each round runs every task for `roundMs` (and at least `minIterations` times). */
  readonly rounds: number;
  readonly roundMs: number;
  readonly minIterations: number;
  /** Warm-up before the first round. */
  readonly warmupMs: number;
  readonly warmupIterations: number;
}

export interface TimingStats {
  readonly samples: number;
  readonly ops_per_s: number;
  readonly mean_ms: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly min_ms: number;
  /** Process CPU time (user + system, all threads: includes GC) per operation. */
  readonly cpu_ms_per_op: number;
}

export interface TimedTask {
  readonly name: string;
  readonly fn: () => Promise<unknown>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export async function measureInterleaved(
  tasks: readonly TimedTask[],
  plan: TimingPlan,
): Promise<Map<string, TimingStats>> {
  const samples = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
  const cpuMicros = new Map<string, number>(tasks.map((t) => [t.name, 0]));
  const runs = new Map<string, number>(tasks.map((t) => [t.name, 0]));
  for (let round = 0; round < plan.rounds; round++) {
    let cpuStart: NodeJS.CpuUsage | undefined;
    const bench = new Bench({
      name: `round ${round}`,
      time: plan.roundMs,
      iterations: plan.minIterations,
      warmup: round === 0,
      warmupTime: plan.warmupMs,
      warmupIterations: plan.warmupIterations,
      retainSamples: true,
      throws: true,
      setup: (_task?: Task, mode?) => {
        // Start every task on a collected heap (when run with --expose-gc), so no task pays for
        // the garbage the previous one left behind; its own garbage it still pays for.
        gc?.();
        if (mode === 'run') cpuStart = process.cpuUsage();
      },
      teardown: (task?: Task, mode?) => {
        if (mode !== 'run' || !cpuStart || !task) return;
        const used = process.cpuUsage(cpuStart);
        cpuMicros.set(task.name, cpuMicros.get(task.name)! + used.user + used.system);
      },
    });
    const offset = round % tasks.length;
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[(i + offset) % tasks.length]!;
      bench.add(t.name, t.fn);
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') {
        const error = 'error' in result ? result.error : undefined;
        throw new Error(`${task.name} did not complete (${result.state})`, { cause: error });
      }
      const s = result.latency.samples ?? [];
      const pool = samples.get(task.name)!;
      for (const x of s) pool.push(x); // no spread: fast tasks yield 10^5+ samples
      runs.set(task.name, runs.get(task.name)! + s.length);
    }
  }
  const out = new Map<string, TimingStats>();
  for (const t of tasks) {
    const s = samples
      .get(t.name)!
      .slice()
      .sort((a, b) => a - b);
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    out.set(t.name, {
      samples: s.length,
      ops_per_s: round3(1000 / mean),
      mean_ms: round4(mean),
      p50_ms: round4(percentile(s, 50)),
      p99_ms: round4(percentile(s, 99)),
      min_ms: round4(s[0]!),
      cpu_ms_per_op: round4(cpuMicros.get(t.name)! / 1000 / runs.get(t.name)!),
    });
  }
  return out;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
export function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
