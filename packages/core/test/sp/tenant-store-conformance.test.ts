import { MemoryStore, tenantStore } from '@samlkit/core';
import { runStoreConformance } from '@samlkit/testkit';
import { test } from 'vitest';

// One tenant's view of a shared store is a SamlStore too, and must keep every guarantee of the
// store under it (the conditional take of pending requests included), on an injected clock.
let now = Date.UTC(2026, 0, 1);

runStoreConformance(
  {
    open: async (nodes) => {
      const shared = new MemoryStore({ now: () => now });
      return Array.from({ length: nodes }, () => tenantStore(shared, 'acme'));
    },
    now: () => now,
    advance: async (ms) => {
      now += ms;
    },
  },
  { test },
);
