import { createSessionId, generateId } from '@samlkit/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toBase64Url } from '../../src/lib/bytes.js';
import { randomFill } from '../../src/lib/random.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('randomFill (the pooled random source of IDs)', () => {
  it('never hands out the same bytes twice, across pool refills', () => {
    // 20,000 × 32 bytes: the 4 KiB pool is refilled ~160 times on the way.
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const out = new Uint8Array(32);
      randomFill(out);
      seen.add(toBase64Url(out));
    }
    expect(seen.size).toBe(20_000);
  });

  it('draws from the runtime source far less often than once per ID', () => {
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues');
    for (let i = 0; i < 1000; i++) createSessionId();
    // 1000 × 32 bytes = 32,000 bytes: at most one 4 KiB refill per 128 IDs (plus the first).
    expect(spy.mock.calls.length).toBeGreaterThan(0);
    expect(spy.mock.calls.length).toBeLessThanOrEqual(10);
  });

  it('spreads bytes evenly (each value near 1/256 of 1 MiB of output)', () => {
    const counts = new Array<number>(256).fill(0);
    const out = new Uint8Array(64);
    for (let i = 0; i < 16_384; i++) {
      randomFill(out);
      for (const b of out) counts[b]!++;
    }
    // Expected 4096 per value, standard deviation ~64: 12 deviations either way cannot happen
    // by chance; a pool that repeats or zeroes part of its output is far outside.
    for (const c of counts) {
      expect(c).toBeGreaterThan(4096 - 768);
      expect(c).toBeLessThan(4096 + 768);
    }
  });

  it("draws an application-given source's bytes, through a pool of its own", () => {
    let calls = 0;
    let next = 0;
    const own = {
      subtle: globalThis.crypto.subtle,
      getRandomValues<T extends ArrayBufferView | null>(a: T): T {
        calls++;
        // A counting source: the IDs show which of its bytes they got, in order.
        if (a) {
          const view = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
          for (let i = 0; i < view.length; i++) view[i] = next++ & 0xff;
        }
        return a;
      },
    };
    const counting = (from: number, n: number) =>
      Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
    expect(createSessionId(own)).toBe(toBase64Url(counting(0, 32)));
    expect(generateId(own)).toBe(`_${Buffer.from(counting(32, 20)).toString('hex')}`);
    for (let i = 0; i < 200; i++) createSessionId(own);
    // 6,452 bytes drawn: two 4 KiB fills of its own; the runtime's source was not used for it.
    expect(calls).toBe(2);
  });

  it('asks the runtime directly for large requests', () => {
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues');
    randomFill(new Uint8Array(2048));
    expect(spy).toHaveBeenCalledTimes(1);
    expect((spy.mock.calls[0]![0] as Uint8Array).length).toBe(2048);
  });
});

describe('toBase64Url', () => {
  it("agrees with Node's base64url for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(toBase64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      }),
      { numRuns: 2000 },
    );
  });

  it('makes session IDs of 43 URL-safe characters', () => {
    for (let i = 0; i < 200; i++) expect(createSessionId()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
