import type { CryptoProvider } from '../crypto/provider.js';
import { randomFill } from './random.js';

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * Generates a fresh SAML message or assertion identifier: `_` followed by 40 lowercase hex
 * characters (160 random bits).
 *
 * The value is an `xs:ID`, which must be an NCName and so cannot start with a digit; the leading
 * underscore keeps it valid. SAML core §1.3.4 also requires identifiers to be unique with a
 * negligible chance of collision: 160 bits from the cryptographic random source meets the
 * "at least 128 bits" guidance.
 *
 * @param crypto - the random source; defaults to the runtime's WebCrypto (`globalThis.crypto`).
 * @returns a new identifier such as `_9f0c…e1` (41 characters).
 * @throws TypeError when no WebCrypto is available and none is passed.
 *
 * @example Generating a request ID
 * ```ts
 * const id = generateId(); // '_3c5e0d…'
 * ```
 *
 * @see SAML 2.0 core §1.3.4 (ID and ID reference values)
 */
export function generateId(crypto?: CryptoProvider): string {
  const bytes = new Uint8Array(20);
  randomFill(bytes, crypto);
  let hex = '_';
  for (const b of bytes) hex += HEX[b]!;
  return hex;
}
