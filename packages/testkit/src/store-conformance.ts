import { requestCases } from './store-conformance/requests.js';
import { sessionCases } from './store-conformance/sessions.js';
import type {
  StoreConformanceCase,
  StoreConformanceHarness,
  StoreConformanceOptions,
} from './store-conformance/types.js';

/**
 * The store conformance cases, framework-agnostic: each is a name and an async body that throws
 * when the store breaks a guarantee of `SamlStore`. Covers take-once and set-if-absent (with
 * races of {@link STORE_RACE_CALLERS} concurrent callers over several handles), TTL expiry of
 * every kind of entry, sessions and the SLO index (lookups with and without SessionIndex,
 * consistency after replace, delete and expiry), separate key spaces, and shared values.
 *
 * @returns a fresh list of cases
 *
 * @example Running the cases by hand
 * ```ts
 * for (const c of storeConformanceCases()) await c.run(harness);
 * ```
 * @see SamlStore in `@samlkit/core` for the guarantees checked
 */
export function storeConformanceCases(): StoreConformanceCase[] {
  return [...requestCases(), ...sessionCases()];
}

/**
 * Registers every conformance case with a test framework, so a store proves it keeps the
 * guarantees of `SamlStore`.
 *
 * @param harness - opens stores and lets time pass (see {@link StoreConformanceHarness})
 * @param options - the framework's `test` function (and an optional filter)
 *
 * @example A vitest suite for a custom store
 * ```ts
 * import { test } from 'vitest';
 * import { runStoreConformance } from '@samlkit/testkit';
 *
 * let now = Date.now();
 * runStoreConformance(
 *   {
 *     open: async (nodes) => { const s = new MyStore({ now: () => now }); return Array(nodes).fill(s); },
 *     now: () => now,
 *     advance: async (ms) => { now += ms; },
 *   },
 *   { test },
 * );
 * ```
 * @see storeConformanceCases for the list of cases
 */
export function runStoreConformance(
  harness: StoreConformanceHarness,
  options: StoreConformanceOptions,
): void {
  for (const c of storeConformanceCases()) {
    if (options.only && !options.only.some((s) => c.name.includes(s))) continue;
    options.test(c.name, () => c.run(harness));
  }
}
