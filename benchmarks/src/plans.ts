import type { SizeName } from './fixtures.js';
import type { TimingPlan } from './timing.js';

export type Mode = 'full' | 'smoke';

/** How long each size is measured. Large documents take the peers ~0.1–1 s each. */
export function timingPlan(mode: Mode, size: SizeName): TimingPlan {
  if (mode === 'smoke') {
    return { rounds: 1, roundMs: 20, minIterations: 3, warmupMs: 10, warmupIterations: 1 };
  }
  switch (size) {
    case 'small':
      return { rounds: 6, roundMs: 500, minIterations: 20, warmupMs: 500, warmupIterations: 20 };
    case 'medium':
      return { rounds: 6, roundMs: 600, minIterations: 6, warmupMs: 600, warmupIterations: 6 };
    case 'large':
      return { rounds: 5, roundMs: 800, minIterations: 3, warmupMs: 800, warmupIterations: 2 };
  }
}

/** Validations per variant in the peak-memory processes. */
export function memoryIterations(mode: Mode, size: SizeName): number {
  if (mode === 'smoke') return 2;
  return size === 'large' ? 8 : size === 'medium' ? 30 : 100;
}

/** The adapters the ACS end-to-end benchmark serves, each in its own server process. */
export const ACS_ADAPTERS = ['express', 'koa', 'fastify', 'fetch'] as const;
export type AcsAdapter = (typeof ACS_ADAPTERS)[number];

export interface AcsPlan {
  /** Concurrent keep-alive connections of the load generator. */
  readonly connections: number;
  /** Logins fired before the timed run (not measured). */
  readonly warmupRequests: number;
  /** Logins in the timed run: each request is its own login, so this is fixed, not a duration. */
  readonly requests: number;
}

/** How many ACS requests each adapter gets. */
export function acsPlan(mode: Mode): AcsPlan {
  return mode === 'smoke'
    ? { connections: 10, warmupRequests: 10, requests: 20 }
    : { connections: 10, warmupRequests: 300, requests: 3000 };
}
