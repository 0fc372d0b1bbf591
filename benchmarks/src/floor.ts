// The floor: the work no validator can skip for a given document — base64-decode, parse once,
// (decrypt the content key and the assertion,) and for each signature canonicalize the signed
// element and SignedInfo, one SHA-256 and one verify with a key imported beforehand. No checks
// of the SAML content, no error reporting. Measured in the same process as the contenders.

import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
// samlkit's own one-pass canonicalizer, compiled from source (it is internal to @samlkit/core).
import { canonicalize } from '../../packages/core/src/lib/c14n.js';
import type { Fixtures, VariantName } from './fixtures.js';
import { idpCertFor } from './fixtures.js';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type C14nImpl = 'samlkit' | 'xml-crypto';

function child(el: Element, ns: string, local: string): Element {
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (
      n.nodeType === 1 &&
      (n as Element).namespaceURI === ns &&
      (n as Element).localName === local
    ) {
      return n as Element;
    }
  }
  throw new Error(`floor: <${local}> not found in <${el.localName}>`);
}

function text(el: Element): string {
  return (el.textContent ?? '').replace(/\s+/g, '');
}

function b64(s: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Prepares the floor for one variant; the returned function throws if a check fails. */
export async function prepareFloor(
  f: Fixtures,
  variant: VariantName,
  c14n: C14nImpl,
): Promise<(samlResponse: string) => Promise<void>> {
  const cert = new X509Certificate(idpCertFor(f, variant));
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  const ec = variant === 'ecdsa-assertion';
  const verifyAlg = ec
    ? ({ name: 'ECDSA', hash: 'SHA-256' } as const)
    : ({ name: 'RSASSA-PKCS1-v1_5' } as const);
  const verifyKey = await subtle.importKey(
    'spki',
    spki,
    ec ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const pkcs8 = b64(f.spPrivateKeyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''));
  const decryptKey = await subtle.importKey(
    'pkcs8',
    pkcs8,
    { name: 'RSA-OAEP', hash: 'SHA-1' },
    false,
    ['decrypt'],
  );
  const xmlCrypto = new ExclusiveCanonicalization();

  const c14nOf = (el: Element, exclude?: Element): string => {
    if (c14n === 'samlkit') {
      return canonicalize(el, { exclusive: true, ...(exclude ? { exclude } : {}) });
    }
    if (exclude) el.removeChild(exclude); // the enveloped-signature transform
    return xmlCrypto.process(el as never, {});
  };

  const checkSignature = async (el: Element): Promise<void> => {
    const sig = child(el, DS, 'Signature');
    const signedInfo = child(sig, DS, 'SignedInfo');
    const reference = child(signedInfo, DS, 'Reference');
    const digestValue = b64(text(child(reference, DS, 'DigestValue')));
    const signatureValue = b64(text(child(sig, DS, 'SignatureValue')));
    const signedInfoC14n = c14nOf(signedInfo);
    const elementC14n = c14nOf(el, sig);
    const digest = new Uint8Array(await subtle.digest('SHA-256', encoder.encode(elementC14n)));
    if (!sameBytes(digest, digestValue)) throw new Error('floor: digest mismatch');
    const ok = await subtle.verify(
      verifyAlg,
      verifyKey,
      signatureValue,
      encoder.encode(signedInfoC14n),
    );
    if (!ok) throw new Error('floor: signature invalid');
  };

  return async (samlResponse) => {
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const root = doc.documentElement as unknown as Element;
    if (variant === 'rsa-response-and-assertion') await checkSignature(root);
    let assertion: Element;
    if (variant === 'rsa-encrypted') {
      const encryptedData = child(child(root, SAML, 'EncryptedAssertion'), XENC, 'EncryptedData');
      const encryptedKey = child(child(encryptedData, DS, 'KeyInfo'), XENC, 'EncryptedKey');
      const wrapped = b64(
        text(child(child(encryptedKey, XENC, 'CipherData'), XENC, 'CipherValue')),
      );
      const rawKey = await subtle.decrypt({ name: 'RSA-OAEP' }, decryptKey, wrapped);
      const aes = await subtle.importKey('raw', rawKey, { name: 'AES-GCM' }, false, ['decrypt']);
      const data = b64(text(child(child(encryptedData, XENC, 'CipherData'), XENC, 'CipherValue')));
      const plain = await subtle.decrypt(
        { name: 'AES-GCM', iv: data.subarray(0, 12) },
        aes,
        data.subarray(12),
      );
      assertion = new DOMParser().parseFromString(decoder.decode(plain), 'text/xml')
        .documentElement as unknown as Element;
    } else {
      assertion = child(root, SAML, 'Assertion');
    }
    await checkSignature(assertion);
  };
}
