// What the store conformance cases share: comparisons that explain a mismatch, record builders,
// and the one-node / several-node case shapes.
import type { PendingRequest, SamlStore, SessionRecord } from '@samlkit/core';
import type { StoreConformanceCase, StoreConformanceHarness } from './types.js';

/** How many concurrent callers the race cases use. */
export const STORE_RACE_CALLERS = 50;
/** How many handles ("nodes") the race cases spread their callers over. */
export const RACE_NODES = 3;

export class ConformanceError extends Error {
  constructor(what: string, expected: unknown, found: unknown) {
    super(`${what}: expected ${show(expected)}, found ${show(found)}`);
    this.name = 'StoreConformanceError';
  }
}

export function show(value: unknown): string {
  return value === undefined ? 'undefined' : canonical(value);
}

/** JSON with object keys sorted and `undefined` properties dropped, for deep comparison. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

export function equal(found: unknown, expected: unknown, what: string): void {
  const same =
    found === undefined || expected === undefined
      ? found === expected
      : canonical(found) === canonical(expected);
  if (!same) throw new ConformanceError(what, expected, found);
}

export function uid(label: string): string {
  return `${label}-${globalThis.crypto.randomUUID()}`;
}

export function pending(
  id: string,
  now: number,
  extra: Partial<PendingRequest> = {},
): PendingRequest {
  return { id, kind: 'authn', createdAt: now, idpEntityId: 'https://idp.example.com/', ...extra };
}

export function session(
  now: number,
  ttl: number,
  extra: Partial<SessionRecord> & Pick<SessionRecord, 'issuer' | 'nameId'>,
): SessionRecord {
  return {
    id: uid('sess'),
    attributes: {},
    createdAt: now,
    expiresAt: now + ttl,
    ...extra,
  };
}

export function ids(sessions: readonly SessionRecord[]): string[] {
  return sessions.map((s) => s.id);
}

export async function withStores(
  h: StoreConformanceHarness,
  nodes: number,
  body: (stores: readonly SamlStore[]) => Promise<void>,
): Promise<void> {
  const stores = await h.open(nodes);
  try {
    await body(stores);
  } finally {
    await h.close?.(stores);
  }
}

export function one(
  name: string,
  body: (store: SamlStore, h: StoreConformanceHarness) => Promise<void>,
): StoreConformanceCase {
  return {
    name,
    run: (h: StoreConformanceHarness) =>
      withStores(h, 1, (stores) => body(stores[0] as SamlStore, h)),
  };
}

export function many(
  name: string,
  body: (stores: readonly SamlStore[], h: StoreConformanceHarness) => Promise<void>,
): StoreConformanceCase {
  return {
    name,
    run: (h: StoreConformanceHarness) => withStores(h, RACE_NODES, (s) => body(s, h)),
  };
}

export const ttlOf = (h: StoreConformanceHarness): number => h.ttlMs ?? 1000;
export const LONG: number = 60 * 60_000;
