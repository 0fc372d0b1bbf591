import {
  MemoryStore,
  matchesPendingRequest,
  type PendingRequest,
  type PendingRequestMatch,
  type SamlStore,
} from '@samlkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { takeMatchingRequest } from '../../src/store/take-matching.js';

// A pending request is taken only by an answer of its kind from the IdP it was sent to (SAML
// profiles §4.1.4.2, §4.4.4.2); any other answer leaves it for the genuine one — with a store that
// evaluates the condition, and with one that ignores it (then it is put back with the lifetime it
// had left).

const T0 = Date.UTC(2026, 0, 1);
const TTL = 60_000;

const kind = fc.constantFrom<PendingRequest['kind']>('authn', 'logout');
const idp = fc.oneof(
  fc.constantFrom('https://idp-a.test', 'https://idp-b.test', 'https://idp-a.test/', ''),
  fc.string({ maxLength: 12 }),
);
const match: fc.Arbitrary<PendingRequestMatch> = fc.record({ kind, idpEntityId: idp });

function clocked(): { set: (t: number) => void; store: MemoryStore } {
  let t = T0;
  const set = (v: number): void => {
    t = v;
  };
  return { set, store: new MemoryStore({ now: () => t }) };
}

/** A store written before the conditional take: it ignores the condition. */
function ignoring(inner: MemoryStore): Pick<SamlStore, 'takePendingRequest' | 'putPendingRequest'> {
  return {
    takePendingRequest: (id) => inner.takePendingRequest(id),
    putPendingRequest: (...a) => inner.putPendingRequest(...a),
  };
}

describe('matchesPendingRequest', () => {
  it('is true exactly when kind and idpEntityId are equal', () => {
    fc.assert(
      fc.property(kind, idp, match, (k, i, m) => {
        const record: PendingRequest = { id: '_r', kind: k, createdAt: T0, idpEntityId: i };
        return matchesPendingRequest(record, m) === (k === m.kind && i === m.idpEntityId);
      }),
    );
  });
});

describe('takeMatchingRequest', () => {
  for (const [name, wrap] of [
    ['a store with the conditional take', (s: MemoryStore) => s],
    ['a store that ignores the condition', ignoring],
  ] as const) {
    it(`${name}: takes a matching record once; leaves any other for the genuine answer`, async () => {
      await fc.assert(
        fc.asyncProperty(
          kind,
          idp,
          match,
          fc.integer({ min: 0, max: TTL - 1 }),
          async (k, i, e, age) => {
            const c = clocked();
            const store = wrap(c.store);
            const record: PendingRequest = { id: '_r', kind: k, createdAt: T0, idpEntityId: i };
            await c.store.putPendingRequest('_r', record, T0 + TTL);
            c.set(T0 + age);
            const got = await takeMatchingRequest(store, '_r', e, {
              now: T0 + age,
              requestTtlMs: TTL,
            });
            const own = { kind: k, idpEntityId: i };
            if (matchesPendingRequest(record, e)) {
              expect(got).toEqual(record);
              expect(await takeMatchingRequest(store, '_r', own)).toBeUndefined();
            } else {
              expect(got).toBeUndefined();
              // Still there until the expiry it was put with, and not a moment longer.
              c.set(T0 + TTL - 1);
              expect(await c.store.takePendingRequest('_r', own)).toEqual(record);
              await c.store.putPendingRequest('_r', record, T0 + TTL);
              await takeMatchingRequest(store, '_r', e, { now: T0 + TTL - 1, requestTtlMs: TTL });
              c.set(T0 + TTL);
              expect(await c.store.takePendingRequest('_r', own)).toBeUndefined();
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it('puts nothing back for a record already past createdAt + requestTtlMs', async () => {
    const c = clocked();
    const record: PendingRequest = { id: '_r', kind: 'authn', createdAt: T0, idpEntityId: 'a' };
    await c.store.putPendingRequest('_r', record, T0 + 10 * TTL);
    const other = { kind: 'authn', idpEntityId: 'b' } as const;
    const got = await takeMatchingRequest(ignoring(c.store), '_r', other, {
      now: T0 + TTL,
      requestTtlMs: TTL,
    });
    expect(got).toBeUndefined();
    expect(await c.store.takePendingRequest('_r')).toBeUndefined();
  });
});
