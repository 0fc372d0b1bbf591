// The store conformance suite's public shapes: the harness, a case, the runner's options.
import type { SamlStore } from '@samlkit/core';

/**
 * What the conformance suite needs to drive a store. One harness per store implementation.
 *
 * Cases open a fresh data set, use it through one or more handles ("nodes"), and let time pass
 * with `advance`: a store with an injectable clock advances a fake clock; a store whose backend
 * expires entries in real time (Redis) waits.
 */
export interface StoreConformanceHarness {
  /**
   * Opens a fresh, empty data set and returns `nodes` handles on it. Handles must share their
   * state the way cluster nodes would: for a networked store, one store object per handle, each
   * with its own connection; for an in-process store, the same object `nodes` times.
   */
  open(nodes: number): Promise<readonly SamlStore[]>;
  /** Releases what `open` returned (close connections). Called even when a case fails. */
  close?(stores: readonly SamlStore[]): Promise<void>;
  /** The stores' current time (epoch ms). */
  now(): number;
  /**
   * Lets at least `ms` milliseconds pass for the stores: advance the injected clock, or wait in
   * real time (plus whatever margin the backend needs to have expired the entries).
   */
  advance(ms: number): Promise<void>;
  /**
   * The TTL (ms) the cases give entries that they then let expire. Default 1000. Real-time
   * stores choose a short one (a few hundred ms) to keep the suite quick.
   */
  readonly ttlMs?: number;
}

/** One named conformance case. */
export interface StoreConformanceCase {
  /** A sentence naming the guarantee it checks. */
  readonly name: string;
  /** Runs the case; rejects with an `Error` saying what was expected and found. */
  run(harness: StoreConformanceHarness): Promise<void>;
}

/** How {@link runStoreConformance} registers cases with a test framework. */
export interface StoreConformanceOptions {
  /** The framework's `test`/`it`: called once per case with its name and body. */
  readonly test: (name: string, body: () => Promise<void>) => void;
  /** Run only the cases whose name includes one of these strings. */
  readonly only?: readonly string[];
}
