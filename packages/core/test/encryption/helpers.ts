// Shared fixtures for the encryption tests: SP key pairs, a Response with an Assertion, and a
// hand-rolled "attacker" encryptor that encrypts arbitrary bytes (the library's encryptor only
// encrypts elements).
import { createSelfSignedCertificate, type GeneratedCertificate } from '@samlkit/core';
import { DOMParser } from '@xmldom/xmldom';

export const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const XENC = 'http://www.w3.org/2001/04/xmlenc#';
export const XENC11 = 'http://www.w3.org/2009/xmlenc11#';

const pairs = new Map<string, Promise<GeneratedCertificate>>();

/** A cached RSA-2048 SP key pair with a self-signed certificate, one per name. */
export function spKeyPair(name: string): Promise<GeneratedCertificate> {
  let p = pairs.get(name);
  if (!p) {
    p = createSelfSignedCertificate({ subject: `sp-${name}.example.com`, days: 30 });
    pairs.set(name, p);
  }
  return p;
}

/**
 * A Response whose Assertion uses QName attribute values (`xsi:type="xs:string"`) with the
 * prefixes declared only on the Response root, as many IdPs do.
 */
export function responseXml(inner = ''): string {
  return (
    `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ` +
    'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
    'ID="_r1" Version="2.0" IssueInstant="2024-01-01T00:00:00Z">' +
    '<saml:Issuer>https://idp.example.com</saml:Issuer>' +
    '<saml:Assertion ID="_a1" Version="2.0" IssueInstant="2024-01-01T00:00:00Z">' +
    '<saml:Issuer>https://idp.example.com</saml:Issuer>' +
    '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@example.com</saml:NameID></saml:Subject>' +
    '<saml:AttributeStatement><saml:Attribute Name="mail">' +
    '<saml:AttributeValue xsi:type="xs:string">alice@example.com</saml:AttributeValue>' +
    `</saml:Attribute></saml:AttributeStatement>${inner}</saml:Assertion></samlp:Response>`
  );
}

/** Parses trusted test XML (no limits needed). */
export function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
}

/** The first element with this namespace and local name. */
export function first(node: Document | Element, ns: string, local: string): Element {
  const el = node.getElementsByTagNameNS(ns, local)[0];
  if (!el) throw new Error(`no ${local}`);
  return el as unknown as Element;
}

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/**
 * Encrypts arbitrary plaintext into a saml:EncryptedAssertion the way an attacker who knows the
 * SP's public key could (anyone can encrypt to the SP). Returns the XML text.
 */
export async function rawEncryptedAssertion(
  plaintext: string | Uint8Array,
  spCertPublicKeySpki: Uint8Array,
  mode: 'AES-GCM' | 'AES-CBC',
): Promise<string> {
  const bytes = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext;
  const cek = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(mode === 'AES-GCM' ? 12 : 16));
  const aes = await crypto.subtle.importKey('raw', cek, mode, false, ['encrypt']);
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: mode, iv }, aes, bytes as BufferSource),
  );
  const rsa = await crypto.subtle.importKey(
    'spki',
    spCertPublicKeySpki as BufferSource,
    { name: 'RSA-OAEP', hash: 'SHA-1' },
    false,
    ['encrypt'],
  );
  const wrapped = new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, rsa, cek));
  const alg = mode === 'AES-GCM' ? `${XENC11}aes256-gcm` : `${XENC}aes256-cbc`;
  return (
    `<saml:EncryptedAssertion xmlns:saml="${SAML}"><xenc:EncryptedData xmlns:xenc="${XENC}" Type="${XENC}Element">` +
    `<xenc:EncryptionMethod Algorithm="${alg}"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">` +
    `<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"/>` +
    `<xenc:CipherData><xenc:CipherValue>${b64(wrapped)}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${b64(new Uint8Array([...iv, ...ct]))}</xenc:CipherValue></xenc:CipherData>` +
    '</xenc:EncryptedData></saml:EncryptedAssertion>'
  );
}

/** Decodes a CipherValue, lets `edit` change the bytes, and writes it back. */
export function editCipherValue(cipherValue: Element, edit: (bytes: Uint8Array) => void): void {
  const bytes = Uint8Array.from(atob(cipherValue.textContent ?? ''), (c) => c.charCodeAt(0));
  edit(bytes);
  cipherValue.textContent = b64(bytes);
}
