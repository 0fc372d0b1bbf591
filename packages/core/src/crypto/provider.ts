/**
 * The WebCrypto surface samlkit needs. Defaults to `globalThis.crypto`; pass another (for
 * example `new (await import('@peculiar/webcrypto')).Crypto()`) in runtimes without native
 * WebCrypto.
 */
export interface CryptoProvider {
  /** The SubtleCrypto implementation used for every digest, signature and cipher. */
  readonly subtle: SubtleCrypto;
  /** The random source used for IDs and keys. */
  getRandomValues<T extends ArrayBufferView | null>(array: T): T;
}

/**
 * Returns the provider to use: the one given, or the runtime's global WebCrypto.
 * @throws TypeError when neither exists
 * @internal
 */
export function resolveCrypto(provider?: CryptoProvider): CryptoProvider {
  const p = provider ?? (globalThis as { crypto?: CryptoProvider }).crypto;
  if (!p?.subtle || typeof p.getRandomValues !== 'function') {
    throw new TypeError(
      'No WebCrypto found: pass options.crypto (for example an instance of @peculiar/webcrypto Crypto)',
    );
  }
  return p;
}
