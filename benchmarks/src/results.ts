// The shape of results/latest.json and the evaluation of the targets.

import type { AcsE2eResult } from './acs-e2e.js';
import type { HostileResult } from './hostile.js';
import type { OpsResult } from './worker-ops.js';
import type { SizeResult } from './worker-validate.js';
import type { XmlsecCheck } from './xmlsec.js';

export interface TargetCheck {
  readonly target: string;
  readonly size: string;
  readonly variant?: string;
  readonly value: number | null;
  readonly threshold: number;
  readonly met: boolean;
}

export interface Growth {
  /** p50 in ms per size (assertion-signed RSA documents). */
  readonly p50_ms: Record<string, number>;
  /** p50 per KiB of document, in µs. */
  readonly us_per_kib: Record<string, number>;
}

export interface Results {
  readonly schema: 'samlkit-benchmarks/1';
  readonly mode: 'full' | 'smoke';
  readonly generated_at: string;
  readonly duration_s: number;
  readonly machine: Record<string, unknown>;
  readonly versions: Record<string, string>;
  /** What each library checks as configured here. */
  readonly checks: Record<string, string>;
  readonly variants: Record<string, string>;
  readonly documents: Record<string, { attribute_values: number; bytes: Record<string, number> }>;
  readonly xmlsec1: XmlsecCheck;
  /** Per size, per variant: samlkit.p50_ms, peers[name].p50_ms, ratio_fastest_peer, … */
  readonly sizes: Record<string, SizeResult>;
  readonly memory_peak_rss_mb: Record<string, Record<string, number>>;
  readonly operations: OpsResult['operations'];
  /**
   * ACS end to end over HTTP, per adapter package: requests/s, p50/p99, errors, the checks before
   * timing; or why it did not run. Absent from files written before the driver existed (their
   * `not_run` lists the adapters instead).
   */
  readonly acs_e2e?: AcsE2eResult['adapters'];
  /** The ACS in process, without HTTP, against validateResponse. */
  readonly acs_in_process?: AcsE2eResult['in_process'];
  readonly not_run: Record<string, string>;
  /**
   * Time to refusal of hostile inputs (~1 MiB each) next to a valid Response of the same size.
   * Absent from files written before the hostile benchmark existed.
   */
  readonly hostile?: HostileResult;
  /** Set when `--only hostile` replaced the hostile section of an earlier file. */
  readonly hostile_generated_at?: string;
  readonly hostile_machine?: Record<string, unknown>;
  targets: { growth: Record<string, Growth>; checks: TargetCheck[] };
}

const GROWTH_VARIANT = 'rsa-assertion';

export function evaluateTargets(r: Results): Results['targets'] {
  const checks: TargetCheck[] = [];
  for (const [size, sr] of Object.entries(r.sizes)) {
    for (const [variant, v] of Object.entries(sr.variants)) {
      if (v.ratio_fastest_peer !== null) {
        checks.push({
          target: 'samlkit p50 at least 5x faster than the fastest peer',
          size,
          variant,
          value: v.ratio_fastest_peer,
          threshold: 5,
          met: v.ratio_fastest_peer >= 5,
        });
      }
      checks.push({
        target: 'samlkit p50 within 3x of the floor',
        size,
        variant,
        value: v.ratio_floor,
        threshold: 3,
        met: v.ratio_floor !== null && v.ratio_floor <= 3,
      });
    }
  }
  for (const [size, mem] of Object.entries(r.memory_peak_rss_mb)) {
    const peers = Object.entries(mem).filter(([k]) => k !== 'samlkit' && k !== 'baseline');
    const lowestPeer = Math.min(...peers.map(([, v]) => v));
    checks.push({
      target: 'samlkit peak RSS below every peer (MB)',
      size,
      value: mem['samlkit'] ?? null,
      threshold: lowestPeer,
      met: (mem['samlkit'] ?? Number.POSITIVE_INFINITY) < lowestPeer,
    });
  }

  const growth: Record<string, Growth> = {};
  const names = new Set<string>(['samlkit']);
  for (const sr of Object.values(r.sizes)) {
    for (const [n, p] of Object.entries(sr.variants[GROWTH_VARIANT]?.peers ?? {})) {
      if (p.status === 'timed') names.add(n);
    }
  }
  for (const n of [...names, 'floor']) {
    const p50: Record<string, number> = {};
    const perKib: Record<string, number> = {};
    for (const [size, sr] of Object.entries(r.sizes)) {
      const v = sr.variants[GROWTH_VARIANT];
      if (!v) continue;
      const ms =
        n === 'samlkit' ? v.samlkit.p50_ms : n === 'floor' ? v.floor.p50_ms : v.peers[n]?.p50_ms;
      if (ms === undefined) continue;
      p50[size] = ms;
      perKib[size] = Math.round(((ms * 1000) / (v.bytes / 1024)) * 10) / 10;
    }
    growth[n] = { p50_ms: p50, us_per_kib: perKib };
  }
  const sk = growth['samlkit']!.us_per_kib;
  if (sk['medium'] !== undefined && sk['large'] !== undefined) {
    // Linear: the cost per KiB does not rise with size (fixed costs make small documents dearer
    // per KiB, so medium → large is the comparison). 1.5x allows for noise.
    const ratio = Math.round((sk['large'] / sk['medium']) * 100) / 100;
    checks.push({
      target: 'samlkit cost per KiB, large / medium (linear growth: at most 1.5)',
      size: 'large',
      variant: GROWTH_VARIANT,
      value: ratio,
      threshold: 1.5,
      met: ratio <= 1.5,
    });
  }
  return { growth, checks };
}
