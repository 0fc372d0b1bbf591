import { type EncryptOptions, encryptElement, type PublicKey } from '@samlkit/core';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';

/**
 * Makes the `encrypt` hook of `buildResponse`: the (signed) assertion is encrypted to the SP's
 * public key and becomes a `saml:EncryptedAssertion`.
 *
 * @param spKey - the SP encryption key (its certificate, if any, goes in KeyInfo)
 * @param options - algorithms (default aes256-gcm with rsa-oaep-mgf1p)
 * @returns the hook
 * @example An encrypted, signed assertion
 * ```ts
 * const xml = await buildResponse({ ...base, encrypt: encryptAssertionTo(spKeys.publicKey) });
 * ```
 * @see SAML core §2.3.4 (EncryptedAssertion), XML Encryption 1.1
 */
export function encryptAssertionTo(
  spKey: PublicKey,
  options: Partial<EncryptOptions> = {},
): (assertionXml: string) => Promise<string> {
  return async (assertionXml) => {
    const doc = new DOMParser().parseFromString(assertionXml, 'text/xml') as unknown as Document;
    const container = await encryptElement(doc.documentElement, spKey, {
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
      ...options,
    });
    return new XMLSerializer().serializeToString(container as never);
  };
}
