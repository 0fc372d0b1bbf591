import {
  DIGEST_ALGORITHMS,
  type SignatureAlgorithmName,
  signatureAlgorithm,
} from '../crypto/algorithms.js';
import { type PrivateKey, parsePem } from '../crypto/keys.js';
import { type CryptoProvider, resolveCrypto } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { toBase64, utf8 } from '../lib/bytes.js';
import { canonicalize, MAX_INCLUSIVE_PREFIXES } from '../lib/c14n.js';
import { childElements, NS, parseXml, serializeXml, walkElements } from '../lib/xml.js';
import { defaultSignatureAlgorithm, signBytes } from './raw.js';
import { C14N, ENVELOPED_SIGNATURE } from './verify.js';

/** Options for {@link signElement} and {@link signXml}. */
export interface SignOptions {
  /** The signing key. */
  readonly key: PrivateKey;
  /** Certificate (PEM or DER) to publish in KeyInfo, so the receiver can see which key signed. */
  readonly certificate?: string | Uint8Array;
  /** Signature algorithm (default rsa-sha256 or ecdsa-sha256 by key type). */
  readonly algorithm?: SignatureAlgorithmName;
  /** Digest algorithm for the Reference (default sha256). */
  readonly digest?: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  /**
   * The canonicalization of SignedInfo and of the signed element (the Reference's second
   * transform): Exclusive XML Canonicalization 1.0 (default, what SAML core §5.4.3 recommends) or
   * Canonical XML 1.0, both without comments.
   */
  readonly canonicalization?: 'exclusive' | 'inclusive';
  /**
   * Exclusive canonicalization only: prefixes to treat as in inclusive canonicalization
   * (`#default` for the default namespace), written as an `ec:InclusiveNamespaces` PrefixList on
   * both the SignedInfo CanonicalizationMethod and the Reference transform (exc-c14n §3). Useful
   * when signed content uses a prefix in a value, such as `xsi:type="xs:string"`. At most 64.
   */
  readonly inclusiveNamespacePrefixes?: readonly string[];
  /** The WebCrypto provider (default `globalThis.crypto`). */
  readonly crypto?: CryptoProvider;
}

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

// XML 1.0 (Fifth Edition) §2.3 NameStartChar and NameChar, without the colon: an NCName
// (Namespaces in XML 1.0 §3), which is what a namespace prefix is.
const NAME_START_CHAR = String.raw`A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}`;
// NameChar adds digits, '-', '.', U+00B7 and combining marks (as ranges, not after a base).
const NAME_CHAR = String.raw`A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}\-.0-9\u00B7\u0300-\u036F\u203F-\u2040`;
const NCNAME = new RegExp(`^[${NAME_START_CHAR}][${NAME_CHAR}]*$`, 'u');

function certificateBase64(cert: string | Uint8Array): string {
  if (cert instanceof Uint8Array) return toBase64(cert);
  const block = parsePem(cert).find((b) => b.label === 'CERTIFICATE');
  if (block) return toBase64(block.der);
  return cert.replace(/\s+/g, '');
}

function inclusivePrefixList(options: SignOptions, exclusive: boolean): string[] {
  const prefixes = options.inclusiveNamespacePrefixes ?? [];
  if (prefixes.length === 0) return [];
  if (!exclusive) {
    throw new SamlError('CONFIG_INVALID', 'inclusiveNamespacePrefixes needs exclusive c14n.', {
      expected: "canonicalization: 'exclusive' with inclusiveNamespacePrefixes",
      found: "canonicalization: 'inclusive'",
      hint: 'Canonical XML renders every namespace in scope already; drop the prefix list',
    });
  }
  const unique = [...new Set(prefixes)];
  if (unique.length > MAX_INCLUSIVE_PREFIXES) {
    throw new SamlError('CONFIG_INVALID', 'Too many inclusiveNamespacePrefixes.', {
      expected: `at most ${MAX_INCLUSIVE_PREFIXES} prefixes (verifiers refuse longer lists)`,
      found: `${unique.length}`,
    });
  }
  for (const p of unique) {
    // exc-c14n §3: the PrefixList holds prefixes (NCNames) and #default.
    if (p !== '#default' && (typeof p !== 'string' || !NCNAME.test(p) || p === 'xmlns')) {
      throw new SamlError('CONFIG_INVALID', 'An inclusiveNamespacePrefixes entry is no prefix.', {
        expected: 'namespace prefixes (NCNames such as xs) or #default',
        found: describeValue(String(p)),
      });
    }
  }
  return unique;
}

/**
 * Signs `element` in place with an enveloped XML signature (SAML core §5.4): one Reference to
 * `#<ID>` with the enveloped-signature transform and then exclusive (default) or inclusive
 * Canonical XML without comments, the same canonicalization for SignedInfo. The `ds:Signature`
 * (declaring its own `ds` prefix) is placed right after the element's `saml:Issuer` child, as the
 * SAML schema requires (or first when there is no Issuer).
 *
 * samlkit builds the signature itself on the element's DOM, canonicalizes with the same code
 * that verifies signatures, and signs with WebCrypto: what is signed is exactly what a verifier
 * canonicalizes after parsing the serialized document.
 *
 * @param element - the element to sign; it must have an `ID` attribute
 * @param options - key, certificate, algorithms, canonicalization
 * @throws SamlError `SIGNATURE_STRUCTURE_INVALID` when the element has no ID or is signed already,
 *   `CONFIG_INVALID` for an unusable `inclusiveNamespacePrefixes`, `XML_INVALID_VALUE` when the
 *   element uses a relative namespace URI (Canonical XML 1.0 §2); the element is left unchanged
 * @see SAML core §5.4; XML-DSig core §3.1
 * @example
 * ```ts
 * await signElement(assertion, { key: spKey, certificate: spCertPem });
 * await signElement(assertion, { key, inclusiveNamespacePrefixes: ['xs', 'xsi'] });
 * ```
 */
export async function signElement(element: Element, options: SignOptions): Promise<void> {
  const id = element.getAttribute('ID');
  if (!id) {
    throw new SamlError('SIGNATURE_STRUCTURE_INVALID', 'Cannot sign an element without an ID.', {
      expected: `an ID attribute on <${element.localName}>`,
      found: 'none',
    });
  }
  if (childElements(element, NS.ds, 'Signature').length > 0) {
    throw new SamlError('SIGNATURE_STRUCTURE_INVALID', 'The element is signed already.', {
      expected: `an unsigned <${element.localName}>`,
      found: 'a ds:Signature child',
    });
  }
  const provider = resolveCrypto(options.crypto);
  const alg = signatureAlgorithm(options.algorithm ?? defaultSignatureAlgorithm(options.key));
  const digestName = options.digest ?? 'sha256';
  const digest = Object.values(DIGEST_ALGORITHMS).find((d) => d.name === digestName);
  if (!digest) {
    throw new SamlError('SIGNATURE_ALGORITHM_UNSUPPORTED', 'Unknown digest algorithm.', {
      expected: 'sha256, sha384, sha512 (or sha1)',
      found: describeValue(digestName),
    });
  }
  const mode = options.canonicalization ?? 'exclusive';
  if (mode !== 'exclusive' && mode !== 'inclusive') {
    throw new SamlError('CONFIG_INVALID', 'Unknown canonicalization.', {
      expected: "'exclusive' or 'inclusive'",
      found: describeValue(String(mode)),
    });
  }
  const exclusive = mode === 'exclusive';
  const prefixes = inclusivePrefixList(options, exclusive);
  const c14nUri = exclusive ? C14N.exclusive : C14N.inclusive;

  // The Signature element (XML-DSig §4), built on the element's own DOM. Every ds element
  // takes the prefix declared on ds:Signature itself, so no binding of `ds` (or of the default
  // namespace) around the element can change what the signature's elements mean.
  const doc = element.ownerDocument;
  const ds = (name: string, parent: Element, algorithm?: string): Element => {
    const el = doc.createElementNS(NS.ds, `ds:${name}`);
    if (algorithm !== undefined) el.setAttribute('Algorithm', algorithm);
    parent.appendChild(el);
    return el;
  };
  const c14nParameters = (method: Element): void => {
    if (prefixes.length === 0) return;
    const inc = doc.createElementNS(NS.ec, 'ec:InclusiveNamespaces');
    inc.setAttributeNS(XMLNS_NS, 'xmlns:ec', NS.ec);
    inc.setAttribute('PrefixList', prefixes.join(' '));
    method.appendChild(inc);
  };
  const signature = doc.createElementNS(NS.ds, 'ds:Signature');
  signature.setAttributeNS(XMLNS_NS, 'xmlns:ds', NS.ds);
  const signedInfo = ds('SignedInfo', signature);
  c14nParameters(ds('CanonicalizationMethod', signedInfo, c14nUri));
  ds('SignatureMethod', signedInfo, alg.uri);
  const reference = ds('Reference', signedInfo);
  reference.setAttribute('URI', `#${id}`);
  const transforms = ds('Transforms', reference);
  ds('Transform', transforms, ENVELOPED_SIGNATURE);
  c14nParameters(ds('Transform', transforms, c14nUri));
  ds('DigestMethod', reference, digest.uri);
  const digestValue = ds('DigestValue', reference);
  const signatureValue = ds('SignatureValue', signature);
  if (options.certificate !== undefined) {
    const x509 = ds('X509Data', ds('KeyInfo', signature));
    ds('X509Certificate', x509).appendChild(
      doc.createTextNode(certificateBase64(options.certificate)),
    );
  }

  // In place first, so SignedInfo is canonicalized in the context a verifier sees (inclusive
  // c14n renders the namespaces in scope there). Taken out again if anything fails.
  const issuer = childElements(element, NS.saml, 'Issuer')[0];
  element.insertBefore(signature, issuer ? issuer.nextSibling : element.firstChild);
  try {
    // Reference generation (XML-DSig §3.1.1): the element minus its enveloped signature.
    const canonical = canonicalize(element, {
      exclusive,
      inclusivePrefixes: prefixes,
      exclude: signature,
    });
    const hash = new Uint8Array(await provider.subtle.digest(digest.hash, utf8(canonical)));
    digestValue.appendChild(doc.createTextNode(toBase64(hash)));
    // Signature generation (XML-DSig §3.1.2): over the canonical SignedInfo.
    const signedInfoCanonical = canonicalize(signedInfo, {
      exclusive,
      inclusivePrefixes: prefixes,
    });
    const value = await signBytes(utf8(signedInfoCanonical), options.key, alg, provider);
    signatureValue.appendChild(doc.createTextNode(toBase64(value)));
  } catch (error) {
    element.removeChild(signature);
    throw error;
  }
}

/**
 * Parses `xml`, signs its root element (or the element with `options.id`), and serializes it.
 * @param xml - the document to sign
 * @param options - as {@link signElement}, plus the ID of the element to sign
 * @returns the signed XML
 * @throws SamlError `XML_*` when the XML is refused, `SIGNATURE_STRUCTURE_INVALID` when the
 *   element is missing or has no ID
 * @example Signing a LogoutRequest
 * ```ts
 * const signedXml = await signXml(logoutRequestXml, { key, certificate });
 * ```
 */
export async function signXml(
  xml: string,
  options: SignOptions & { readonly id?: string },
): Promise<string> {
  const doc = parseXml(xml);
  let target: Element | undefined = doc.documentElement;
  if (options.id !== undefined) {
    target = undefined;
    for (const el of walkElements(doc.documentElement)) {
      if (el.getAttribute('ID') === options.id) {
        target = el;
        break;
      }
    }
  }
  if (!target) {
    throw new SamlError('SIGNATURE_STRUCTURE_INVALID', 'The element to sign was not found.', {
      expected: `an element with ID ${describeValue(options.id)}`,
      found: 'none',
    });
  }
  await signElement(target, options);
  // The parser drops the XML declaration (it is not a processing instruction: XML 1.0 §2.8) and
  // keeps what follows it, so it is written back as it came. parseXml has already checked its
  // grammar; this only finds where it ends.
  const declaration = /^<\?xml[ \t\r\n]/.test(xml) ? xml.slice(0, xml.indexOf('?>') + 2) : '';
  return declaration + serializeXml(doc);
}
