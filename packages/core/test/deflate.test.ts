import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_INFLATED_BYTES, deflateRaw, inflateRaw } from '../src/lib/deflate.js';

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
});
