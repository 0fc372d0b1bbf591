// SHA-256 (FIPS 180-4 §6.2) over a large byte array in slices, with a pause between them. Used for
// the digest of a federation aggregate's canonical form (tens of megabytes): WebCrypto hashes off
// the main thread, but copies its whole input on the main thread first, which holds a process for
// a quarter of a second at eduGAIN's size. Checked against WebCrypto in the tests.

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K: Uint32Array = roots(64, 3);
/** FIPS 180-4 §5.3.3: the same for the square roots of the first 8 primes. */
const H0: Uint32Array = roots(8, 2);

function roots(count: number, degree: 2 | 3): Uint32Array {
  const out = new Uint32Array(count);
  let n = 0;
  for (let p = 2; n < count; p++) {
    let prime = true;
    for (let q = 2; q * q <= p; q++) {
      if (p % q === 0) {
        prime = false;
        break;
      }
    }
    if (!prime) continue;
    const r = degree === 2 ? Math.sqrt(p) : Math.cbrt(p);
    out[n++] = Math.floor((r - Math.floor(r)) * 2 ** 32) >>> 0;
  }
  return out;
}

/** FIPS 180-4 §6.2.2: the compression function over the 64-byte blocks in `m[start, end)`. */
function compress(H: Uint32Array, W: Uint32Array, m: Uint8Array, start: number, end: number): void {
  let h0 = H[0]!;
  let h1 = H[1]!;
  let h2 = H[2]!;
  let h3 = H[3]!;
  let h4 = H[4]!;
  let h5 = H[5]!;
  let h6 = H[6]!;
  let h7 = H[7]!;
  for (let p = start; p < end; p += 64) {
    for (let t = 0; t < 16; t++) {
      const i = p + t * 4;
      W[t] = (m[i]! << 24) | (m[i + 1]! << 16) | (m[i + 2]! << 8) | m[i + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const w15 = W[t - 15]!;
      const w2 = W[t - 2]!;
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let f = h5;
    let g = h6;
    let h = h7;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[t]! + W[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  H[0] = h0;
  H[1] = h1;
  H[2] = h2;
  H[3] = h3;
  H[4] = h4;
  H[5] = h5;
  H[6] = h6;
  H[7] = h7;
}

/**
 * The SHA-256 digest of `data`, hashed `sliceBytes` at a time with `pause()` awaited between
 * slices (a macrotask, say), so that hashing tens of megabytes does not hold the thread.
 * @param data - the bytes to hash (not modified)
 * @param pause - awaited between slices
 * @param sliceBytes - bytes hashed between two pauses (rounded down to whole 64-byte blocks; at
 *   least one block; default 2^20)
 * @returns the 32-byte digest
 * @internal
 */
export async function sha256InSlices(
  data: Uint8Array,
  pause: () => Promise<void>,
  sliceBytes: number = 1 << 20,
): Promise<Uint8Array> {
  const H = H0.slice();
  const W = new Uint32Array(64);
  const step = Math.max(64, sliceBytes - (sliceBytes % 64));
  const whole = data.length - (data.length % 64);
  for (let off = 0; off < whole; ) {
    const end = Math.min(whole, off + step);
    compress(H, W, data, off, end);
    off = end;
    if (off < whole) await pause();
  }
  // §5.1.1: a 1 bit, zeros, and the message length in bits as a 64-bit big-endian number.
  const rest = data.length - whole;
  const tail = new Uint8Array(rest < 56 ? 64 : 128);
  tail.set(data.subarray(whole));
  tail[rest] = 0x80;
  const bits = data.length * 8;
  const view = new DataView(tail.buffer);
  view.setUint32(tail.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(tail.length - 4, bits >>> 0);
  compress(H, W, tail, 0, tail.length);
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(i * 4, H[i]!);
  return out;
}
