import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_INFLATED_BYTES, deflateRaw, inflateRaw } from '../../src/lib/deflate.js';

const enc = new TextEncoder();

describe('raw DEFLATE', () => {
  it('round-trips text', async () => {
    const data = enc.encode('<samlp:AuthnRequest>é€𝄞</samlp:AuthnRequest>'.repeat(50));
    const packed = await deflateRaw(data);
    expect(packed.length).toBeLessThan(data.length);
    expect(await inflateRaw(packed)).toEqual(data);
  });

  it('refuses a deflate bomb (10 MB of zeros) with INFLATE_TOO_LARGE', async () => {
    const bomb = await deflateRaw(new Uint8Array(10 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(20_000);
    await expect(inflateRaw(bomb)).rejects.toMatchObject({ code: 'INFLATE_TOO_LARGE' });
  });

  it('applies a configurable cap, and accepts exactly the cap', async () => {
    const data = new Uint8Array(1000).fill(65);
    const packed = await deflateRaw(data);
    expect(await inflateRaw(packed, 1000)).toHaveLength(1000);
    await expect(inflateRaw(packed, 999)).rejects.toMatchObject({ code: 'INFLATE_TOO_LARGE' });
    expect(DEFAULT_MAX_INFLATED_BYTES).toBe(256 * 1024);
  });

  it('refuses corrupt, truncated and empty input with INFLATE_FAILED', async () => {
    const packed = await deflateRaw(enc.encode('hello world, hello world'));
    await expect(inflateRaw(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).rejects.toMatchObject({
      code: 'INFLATE_FAILED',
    });
    await expect(inflateRaw(packed.subarray(0, packed.length - 3))).rejects.toMatchObject({
      code: 'INFLATE_FAILED',
    });
    await expect(inflateRaw(new Uint8Array(0))).rejects.toMatchObject({ code: 'INFLATE_FAILED' });
  });

  describe('stops a bomb before consuming it', () => {
    const Native = globalThis.DecompressionStream;
    afterEach(() => {
      globalThis.DecompressionStream = Native;
    });

    it('feeds only a few KiB of a 50 KB bomb (50 MB of zeros) before refusing it', async () => {
      const bomb = await deflateRaw(new Uint8Array(50 * 1024 * 1024));
      let written = 0;
      // A DecompressionStream that counts the compressed bytes it is given.
      globalThis.DecompressionStream = class {
        readonly readable: ReadableStream<Uint8Array>;
        readonly writable: WritableStream<BufferSource>;
        constructor(format: CompressionFormat) {
          const inner = new Native(format);
          this.readable = inner.readable;
          const writer = inner.writable.getWriter();
          this.writable = new WritableStream<BufferSource>({
            write: (chunk) => {
              written += (chunk as Uint8Array).byteLength;
              return writer.write(chunk);
            },
            close: () => writer.close(),
            abort: (reason) => writer.abort(reason),
          });
        }
      } as unknown as typeof DecompressionStream;
      await expect(inflateRaw(bomb)).rejects.toMatchObject({ code: 'INFLATE_TOO_LARGE' });
      // Each 256-byte slice inflates to ~256 KiB, the cap: after a few slices the reader refuses
      // and the rest of the bomb is never fed (without pacing, all of it would be inflated).
      expect(written).toBeGreaterThan(0);
      expect(written).toBeLessThanOrEqual(8 * 1024);
      expect(bomb.length).toBeGreaterThan(40 * 1024);
    });
  });
});
