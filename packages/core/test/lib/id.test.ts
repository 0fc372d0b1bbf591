import { generateId } from '@samlkit/core';
import { describe, expect, it } from 'vitest';

describe('generateId', () => {
  it('is an xs:ID: underscore then 40 lowercase hex characters', () => {
    expect(generateId()).toMatch(/^_[0-9a-f]{40}$/);
  });

  it('draws its bytes from the given random source', () => {
    const fixed = {
      subtle: globalThis.crypto.subtle,
      getRandomValues<T extends ArrayBufferView | null>(a: T): T {
        if (a) new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(0xab);
        return a;
      },
    };
    expect(generateId(fixed)).toBe(`_${'ab'.repeat(20)}`);
  });

  it('does not repeat across many calls', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generateId()));
    expect(seen.size).toBe(2000);
  });
});
