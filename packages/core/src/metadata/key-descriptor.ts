// The keys of a metadata KeyDescriptor (SAML metadata §2.4.1.1): X.509 certificates (the leaf of a
// chain), RSA key values and DER-encoded keys in its ds:KeyInfo (XML-DSig §4.4).
import { loadPublicKey, type PublicKey } from '../crypto/keys.js';
import { isSamlError, SamlError } from '../errors.js';
import { fromBase64 } from '../lib/bytes.js';
import { integer, oid, seq, TAG, tlv } from '../lib/der.js';
import { childElements, NS, textOf } from '../lib/xml.js';

/** A `METADATA_INVALID` error. @internal */
export function invalid(
  summary: string,
  expected: string,
  found: string,
  hint?: string,
): SamlError {
  return new SamlError('METADATA_INVALID', summary, {
    expected,
    found,
    hint: hint ?? 'ask the IdP administrator for its current SAML 2.0 metadata',
  });
}

/** An RSA SubjectPublicKeyInfo from ds:RSAKeyValue (XML-DSig §4.4.2.2, RFC 8017 A.1.1). */
function rsaKeyValueSpki(rsa: Element): Uint8Array {
  const part = (name: string) => {
    const el = childElements(rsa, NS.ds, name)[0];
    if (!el) throw invalid('An RSAKeyValue is incomplete.', `a <ds:${name}>`, 'none');
    return fromBase64(textOf(el), `The RSAKeyValue ${name}`);
  };
  const pkcs1 = seq(TAG.SEQUENCE, integer(part('Modulus')), integer(part('Exponent')));
  const algId = seq(TAG.SEQUENCE, oid('1.2.840.113549.1.1.1'), tlv(TAG.NULL, new Uint8Array(0)));
  return seq(TAG.SEQUENCE, algId, tlv(TAG.BIT_STRING, new Uint8Array([0, ...pkcs1])));
}

/**
 * The end-entity certificate of an X509Data: when it holds a chain (XML-DSig §4.4.4), the one
 * certificate that issued none of the others.
 */
function leafCertificate(certs: PublicKey[]): PublicKey {
  if (certs.length === 1) return certs[0]!;
  const leaves = certs.filter(
    (c) => !certs.some((o) => o !== c && o.certificate!.issuer === c.certificate!.subject),
  );
  if (leaves.length !== 1) {
    throw invalid(
      'An X509Data holds certificates that are not one chain.',
      'one certificate, or one chain ending in the key',
      `${certs.length} certificates (${certs.map((c) => c.certificate!.subject).join('; ')})`,
    );
  }
  return leaves[0]!;
}

/** The keys a KeyDescriptor's ds:KeyInfo names. @internal */
export function keysOf(keyDescriptor: Element): PublicKey[] {
  const keyInfo = childElements(keyDescriptor, NS.ds, 'KeyInfo')[0];
  if (!keyInfo) throw invalid('A KeyDescriptor has no ds:KeyInfo.', 'a <ds:KeyInfo>', 'none');
  const keys: PublicKey[] = [];
  try {
    for (const x509 of childElements(keyInfo, NS.ds, 'X509Data')) {
      const certs = childElements(x509, NS.ds, 'X509Certificate').map((c) =>
        loadPublicKey(fromBase64(textOf(c), 'The X509Certificate')),
      );
      if (certs.length > 0) keys.push(leafCertificate(certs));
    }
    for (const kv of childElements(keyInfo, NS.ds, 'KeyValue')) {
      const rsa = childElements(kv, NS.ds, 'RSAKeyValue')[0];
      if (rsa) keys.push(loadPublicKey(rsaKeyValueSpki(rsa)));
    }
    for (const der of childElements(keyInfo, NS.dsig11, 'DEREncodedKeyValue')) {
      keys.push(loadPublicKey(fromBase64(textOf(der), 'The DEREncodedKeyValue')));
    }
  } catch (cause) {
    if (isSamlError(cause, 'METADATA_INVALID')) throw cause;
    throw new SamlError('METADATA_INVALID', 'A key in the metadata could not be read.', {
      expected: 'base64 DER X.509 certificates (or RSA key values) in each KeyDescriptor',
      found: cause instanceof Error ? cause.message : String(cause),
      hint: 'the metadata was truncated or corrupted; download it again',
      cause,
    });
  }
  if (keys.length === 0) {
    throw invalid(
      'A KeyDescriptor names no key samlkit can use.',
      'a ds:X509Data/ds:X509Certificate (or ds:KeyValue/ds:RSAKeyValue)',
      'neither',
    );
  }
  return keys;
}
