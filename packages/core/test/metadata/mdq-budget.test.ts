import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTokenBucket } from '../../src/metadata/mdq-budget.js';

// The token bucket behind createMdqSource's newEntityBudget: time is an input.

describe('createTokenBucket', () => {
  it('never allows more than requests + requests × elapsed / perMs in any window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }),
        (requests, perMs, steps) => {
          const start = 1_000_000;
          const bucket = createTokenBucket({ requests, perMs }, start);
          let t = start;
          const taken: number[] = [];
          for (const step of steps) {
            t += step;
            const available = bucket.available(t);
            const ok = bucket.take(t);
            expect(ok).toBe(available); // available() spends nothing and agrees with take()
            if (ok) taken.push(t);
            else expect(bucket.nextAt(t)).toBeGreaterThan(t);
          }
          // Any window [a, b] of takes holds at most the bucket plus what refilled meanwhile.
          for (let i = 0; i < taken.length; i++) {
            for (let j = i; j < taken.length; j++) {
              const count = j - i + 1;
              expect(count).toBeLessThanOrEqual(
                requests + Math.floor(((taken[j]! - taken[i]!) * requests) / perMs),
              );
            }
          }
        },
      ),
    );
  });

  it('allows a full bucket at once, then one request per perMs / requests', () => {
    const bucket = createTokenBucket({ requests: 4, perMs: 60_000 }, 0);
    expect([1, 2, 3, 4, 5].map(() => bucket.take(0))).toEqual([true, true, true, true, false]);
    expect(bucket.nextAt(0)).toBe(15_000);
    expect(bucket.take(14_999)).toBe(false);
    expect(bucket.take(15_000)).toBe(true);
    // A clock that steps back refills nothing and spends nothing.
    expect(bucket.take(10_000)).toBe(false);
    expect(bucket.take(30_000)).toBe(true);
  });

  it('with requests: Infinity never refuses', () => {
    const bucket = createTokenBucket({ requests: Infinity, perMs: 1 }, 0);
    for (let i = 0; i < 1000; i++) expect(bucket.take(0)).toBe(true);
  });
});
