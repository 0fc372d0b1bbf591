import { type CryptoProvider, resolveCrypto } from '../crypto/provider.js';

/**
 * Bytes fetched from a random source at once. One `getRandomValues` call costs about as much for
 * 4 KiB as for 32 bytes on Node (the call, not the bytes, is the cost: ~10 µs for 32 bytes, ~29 µs
 * for 4 KiB, measured on Node 20), and a login draws several IDs.
 */
const POOL_BYTES = 4096;

interface Pool {
  readonly bytes: Uint8Array<ArrayBuffer>;
  used: number;
}

/** One pool per random source (the runtime's WebCrypto, or a provider the application gave). */
const pools = new WeakMap<CryptoProvider, Pool>();

/**
 * Fills `out` with cryptographically random bytes from `crypto` (default: the runtime's
 * WebCrypto), drawn from a pool that is refilled from that source's `getRandomValues` 4 KiB at a
 * time — what Node's own `randomUUID` does. Bytes handed out are wiped from the pool, so it never
 * holds a value that was already used. The pool is filled on first use, never at import (some
 * runtimes allow random values only while a request is handled). Requests over 1 KiB go to the
 * source directly.
 * @throws TypeError when no WebCrypto is available and none is given
 * @internal
 */
export function randomFill(out: Uint8Array, crypto?: CryptoProvider): void {
  const source = resolveCrypto(crypto);
  if (out.length > POOL_BYTES / 4) {
    source.getRandomValues(out);
    return;
  }
  let pool = pools.get(source);
  if (pool === undefined) {
    pool = { bytes: new Uint8Array(POOL_BYTES), used: POOL_BYTES };
    pools.set(source, pool);
  }
  if (pool.used + out.length > POOL_BYTES) {
    source.getRandomValues(pool.bytes);
    pool.used = 0;
  }
  const end = pool.used + out.length;
  out.set(pool.bytes.subarray(pool.used, end));
  pool.bytes.fill(0, pool.used, end);
  pool.used = end;
}
