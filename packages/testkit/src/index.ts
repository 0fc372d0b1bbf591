// @samlkit/testkit public API. Every export is named; types are exported separately.

export type {
  StoreConformanceCase,
  StoreConformanceHarness,
  StoreConformanceOptions,
} from './store-conformance.js';
export {
  runStoreConformance,
  STORE_RACE_CALLERS,
  storeConformanceCases,
} from './store-conformance.js';
