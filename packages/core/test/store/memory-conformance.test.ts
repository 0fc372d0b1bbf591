import { MemoryStore } from '@samlkit/core';
import { runStoreConformance } from '@samlkit/testkit';
import { test } from 'vitest';

// The conformance suite against MemoryStore, on an injected clock: `advance` moves time
// without waiting.
let now = Date.UTC(2026, 0, 1);

runStoreConformance(
  {
    open: async (nodes) => {
      const store = new MemoryStore({ now: () => now });
      return Array.from({ length: nodes }, () => store);
    },
    now: () => now,
    advance: async (ms) => {
      now += ms;
    },
  },
  { test },
);
