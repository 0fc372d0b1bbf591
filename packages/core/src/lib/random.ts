import { type CryptoProvider, resolveCrypto } from '../crypto/provider.js';

/**
 * Bytes fetched from the runtime's random source at once. One `getRandomValues` call costs about
 * as much for 4 KiB as for 32 bytes on Node (the call, not the bytes, is the cost: ~10 µs for 32
 * bytes, ~29 µs for 4 KiB, measured on Node 20), and a login draws several IDs.
 */
const POOL_BYTES = 4096;

let pool: Uint8Array<ArrayBuffer> | undefined;
let used = POOL_BYTES;

/**
 * Fills `out` with cryptographically random bytes. With a `crypto` provider given, every call
 * goes to it (an application's own source is used exactly as it is); otherwise the bytes come
 * from a pool refilled from the runtime's WebCrypto `getRandomValues` (the same source), which is
 * what Node's own `randomUUID` does. Bytes handed out are wiped from the pool, so the pool never
 * holds a value that was already used. The pool is filled on first use, never at import (some
 * runtimes allow random values only while a request is handled).
 * @throws TypeError when no WebCrypto is available and none is given
 * @internal
 */
export function randomFill(out: Uint8Array, crypto?: CryptoProvider): void {
  if (crypto !== undefined) {
    resolveCrypto(crypto).getRandomValues(out);
    return;
  }
  if (out.length > POOL_BYTES / 4) {
    resolveCrypto().getRandomValues(out);
    return;
  }
  if (pool === undefined || used + out.length > POOL_BYTES) {
    pool ??= new Uint8Array(POOL_BYTES);
    resolveCrypto().getRandomValues(pool);
    used = 0;
  }
  const end = used + out.length;
  out.set(pool.subarray(used, end));
  pool.fill(0, used, end);
  used = end;
}
