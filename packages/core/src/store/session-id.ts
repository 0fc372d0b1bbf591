import type { CryptoProvider } from '../crypto/provider.js';
import { toBase64Url } from '../lib/bytes.js';
import { randomFill } from '../lib/random.js';

/** Random bytes in a session ID: 256 bits, well above the 128 bits OWASP asks for. */
const SESSION_ID_BYTES = 32;

/**
 * Creates an opaque, unguessable session ID: 256 bits from `getRandomValues`, base64url without
 * padding (43 characters, safe in cookies, URLs and store keys).
 *
 * @param crypto - the random source (defaults to the runtime's WebCrypto)
 * @returns a new session ID
 * @throws TypeError when no WebCrypto is available and none is given
 *
 * @example Creating a session after a successful login
 * ```ts
 * const id = createSessionId();
 * await store.putSession({ id, issuer, nameId, attributes, createdAt: now, expiresAt: now + 8 * 3600_000 });
 * ```
 * @see SAML 2.0 core §1.3.4 (identifiers must be unguessable)
 */
export function createSessionId(crypto?: CryptoProvider): string {
  const bytes = new Uint8Array(SESSION_ID_BYTES);
  randomFill(bytes, crypto);
  return toBase64Url(bytes);
}
