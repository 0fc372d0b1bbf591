import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256InSlices } from '../../src/lib/sha256-slices.js';

// The sliced SHA-256 must be SHA-256: checked against WebCrypto (and the FIPS 180-2 examples) for
// every length around the block and padding boundaries, and for any slice size.

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const webcrypto = async (b: Uint8Array) =>
  hex(new Uint8Array(await crypto.subtle.digest('SHA-256', b as BufferSource)));
const noPause = async () => {};

describe('sha256InSlices', () => {
  it('gives the FIPS 180-2 example digests', async () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(hex(await sha256InSlices(enc('abc'), noPause))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hex(await sha256InSlices(enc(''), noPause))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(
      hex(
        await sha256InSlices(
          enc('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
          noPause,
        ),
      ),
    ).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('equals WebCrypto for every length from 0 to 300 bytes', async () => {
    const data = new Uint8Array(300);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
    for (let n = 0; n <= data.length; n++) {
      const part = data.subarray(0, n);
      expect(hex(await sha256InSlices(part, noPause, 64))).toBe(await webcrypto(part));
    }
  });

  it('property: equals WebCrypto for any bytes and any slice size, pausing between slices', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 5000 }),
        fc.integer({ min: 1, max: 2048 }),
        async (bytes, slice) => {
          let pauses = 0;
          const got = await sha256InSlices(
            bytes,
            async () => {
              pauses++;
            },
            slice,
          );
          expect(hex(got)).toBe(await webcrypto(bytes));
          const step = Math.max(64, slice - (slice % 64));
          const blocks = bytes.length - (bytes.length % 64);
          expect(pauses).toBe(Math.max(0, Math.ceil(blocks / step) - 1));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hashes a few megabytes in slices with other work running between them', async () => {
    const data = new Uint8Array(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      const got = await sha256InSlices(data, () => new Promise((r) => setTimeout(r, 0)), 1 << 16);
      expect(hex(got)).toBe(await webcrypto(data));
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });
});
