import type { PublicKey } from '@samlkit/core';
import { type EncryptOptions, encryptElement } from '@samlkit/core/xml';
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

/** One algorithm choice for {@link encryptInXml} / `encryptAssertionTo`. */
export type EncryptionCombination = Pick<
  EncryptOptions,
  'dataAlgorithm' | 'keyTransport' | 'digest' | 'mgf'
>;

const DATA_ALGORITHMS = [
  'aes128-cbc',
  'aes192-cbc',
  'aes256-cbc',
  'aes128-gcm',
  'aes192-gcm',
  'aes256-gcm',
] as const;
const KEY_TRANSPORTS: ReadonlyArray<Omit<EncryptionCombination, 'dataAlgorithm'>> = [
  { keyTransport: 'rsa-oaep-mgf1p' },
  { keyTransport: 'rsa-oaep', digest: 'sha1', mgf: 'mgf1sha1' },
  { keyTransport: 'rsa-oaep', digest: 'sha256', mgf: 'mgf1sha256' },
  { keyTransport: 'rsa-oaep', digest: 'sha384', mgf: 'mgf1sha384' },
  { keyTransport: 'rsa-oaep', digest: 'sha512', mgf: 'mgf1sha512' },
];

/**
 * Every algorithm combination the test IdP can encrypt with (and samlkit decrypts): each RSA-OAEP
 * key transport variant × AES-128/192/256 in CBC and GCM mode. Handy for `it.each`.
 */
export const ENCRYPTION_COMBINATIONS: readonly EncryptionCombination[] = Object.freeze(
  KEY_TRANSPORTS.flatMap((t) => DATA_ALGORITHMS.map((dataAlgorithm) => ({ ...t, dataAlgorithm }))),
);

/**
 * Encrypts, inside a serialized SAML message, every `saml:Assertion`, `saml:NameID` or
 * `saml:Attribute` (as `target` says) for the SP's public key: they become EncryptedAssertion,
 * EncryptedID or EncryptedAttribute elements in place. Use it on an unsigned message and sign
 * afterwards, or on a message whose signatures do not cover the target.
 *
 * @param xml - the message (Response, Assertion, LogoutRequest, …)
 * @param spKey - the SP encryption key
 * @param target - which elements to encrypt
 * @param options - algorithms and key placement (default aes256-gcm with rsa-oaep-mgf1p)
 * @returns the message with the targets encrypted
 * @throws Error when the message holds no such element
 * @example An EncryptedID in a LogoutRequest
 * ```ts
 * const xml = await encryptInXml(logoutRequestXml, spKeys.publicKey, 'NameID');
 * ```
 * @see SAML core §2.2.4, §3.7.1 (LogoutRequest's EncryptedID)
 */
export async function encryptInXml(
  xml: string,
  spKey: PublicKey,
  target: 'Assertion' | 'NameID' | 'Attribute',
  options: Partial<EncryptOptions> = {},
): Promise<string> {
  const doc = new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
  const targets = Array.from(
    doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', target),
  ) as Element[];
  if (targets.length === 0) throw new Error(`encryptInXml: the message has no saml:${target}`);
  for (const el of targets) {
    await encryptElement(el, spKey, {
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
      ...options,
    });
  }
  return new XMLSerializer().serializeToString(doc as never);
}
