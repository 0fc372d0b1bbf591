import {
  assertHashAllowed,
  digestAlgorithm,
  type SignatureAlgorithm,
  signatureAlgorithmByUri,
} from '../crypto/algorithms.js';
import type { PublicKey } from '../crypto/keys.js';
import { type CryptoProvider, resolveCrypto } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { equalBytes, fromBase64, utf8 } from '../lib/bytes.js';
import { canonicalize, MAX_INCLUSIVE_PREFIXES } from '../lib/c14n.js';
import {
  attr,
  childElements,
  isElement,
  NS,
  requiredChild,
  textOf,
  walkElements,
} from '../lib/xml.js';
import { verifyBytes } from './raw.js';

/** Canonicalization algorithms samlkit accepts (XML-DSig §6.5). "WithComments" variants are not. */
export const C14N: Readonly<{
  exclusive: 'http://www.w3.org/2001/10/xml-exc-c14n#';
  inclusive: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
}> = Object.freeze({
  exclusive: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  inclusive: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
});
/** The enveloped-signature transform (XML-DSig §6.6.4). */
export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/** Options for {@link verifyElementSignature}. */
export interface VerifyElementOptions {
  /**
   * The trusted keys (the IdP's configured certificates). A key or certificate carried in the
   * message's KeyInfo is never used.
   */
  readonly keys: readonly PublicKey[];
  /**
   * Accept SHA-1 signature and digest algorithms.
   * @remarks Dangerous: SHA-1 collisions are practical. Only for IdPs that cannot be fixed.
   */
  readonly allowSha1?: boolean;
  /** The WebCrypto provider (default `globalThis.crypto`). */
  readonly crypto?: CryptoProvider;
}

/** What a verified signature covers and how it was made. */
export interface VerifiedSignature {
  /** The element the signature covers: exactly the element passed in. */
  readonly element: Element;
  /** The configured key that verified it. */
  readonly key: PublicKey;
  /** The signature algorithm. */
  readonly algorithm: SignatureAlgorithm;
}

function structure(summary: string, expected: string, found: string): SamlError {
  return new SamlError('SIGNATURE_STRUCTURE_INVALID', summary, {
    expected,
    found,
    hint: 'the signature is malformed or was built to confuse verifiers',
  });
}

const idCounts = new WeakMap<Document, Map<string, number>>();

/** How many elements in the document carry `id` as an ID/Id/id attribute. Walks once per document. */
function countId(doc: Document, id: string): number {
  let counts = idCounts.get(doc);
  if (!counts) {
    counts = new Map();
    for (const el of walkElements(doc.documentElement)) {
      for (const name of ['ID', 'Id', 'id']) {
        const v = el.getAttribute(name);
        if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
    }
    idCounts.set(doc, counts);
  }
  return counts.get(id) ?? 0;
}

/**
 * Verifies the enveloped XML signature that is a direct child of `element` (SAML core §5.4),
 * strictly:
 * - exactly one `ds:Signature` child, one `ds:Reference`, whose URI is `#` + the element's `ID`
 *   (§5.4.2), and that ID unique in the document;
 * - transforms: enveloped-signature, then exclusive or inclusive Canonical XML 1.0 without
 *   comments (§5.4.4) — nothing else (no XPath, XSLT, Base64);
 * - algorithms from the allowlist; SHA-1 only with `allowSha1`; no HMAC;
 * - an InclusiveNamespaces PrefixList of at most 64 prefixes;
 * - first the SignatureValue over the canonical SignedInfo, checked against the configured keys
 *   only (KeyInfo is ignored); only when that verifies is the element canonicalized and its
 *   digest compared (authenticate before doing expensive work: XML Signature Best Practices,
 *   BP 1). A message both tampered with and signed by another key is refused with
 *   `SIGNATURE_INVALID`.
 *
 * @param element - the element that should be signed (a Response, Assertion, LogoutRequest, …)
 * @param options - trusted keys and algorithm policy
 * @returns the verified signature, or `null` when the element has no signature child
 * @throws SamlError `SIGNATURE_STRUCTURE_INVALID`, `SIGNATURE_REFERENCE_INVALID`,
 *   `SIGNATURE_TRANSFORM_FORBIDDEN`, `SIGNATURE_ALGORITHM_FORBIDDEN`,
 *   `SIGNATURE_ALGORITHM_UNSUPPORTED`, `SIGNATURE_DUPLICATE_ID`, `SIGNATURE_DIGEST_MISMATCH`,
 *   `SIGNATURE_KEY_UNTRUSTED`, `SIGNATURE_INVALID`, `XML_INVALID_VALUE` (a relative namespace
 *   URI, which Canonical XML 1.0 §2 makes an error)
 * @see SAML core §5.4; XML-DSig core §3.2 (core validation)
 * @example Verifying a parsed assertion
 * ```ts
 * const verified = await verifyElementSignature(assertionElement, { keys: idp.signingKeys });
 * if (!verified) throw new Error('assertion is not signed');
 * ```
 */
export async function verifyElementSignature(
  element: Element,
  options: VerifyElementOptions,
): Promise<VerifiedSignature | null> {
  const signatures = childElements(element, NS.ds, 'Signature');
  if (signatures.length === 0) return null;
  if (signatures.length > 1) {
    throw structure(
      `<${element.localName}> has several signatures.`,
      'one ds:Signature',
      `${signatures.length}`,
    );
  }
  const signature = signatures[0]!;
  const allowSha1 = options.allowSha1 ?? false;

  const signedInfo = requiredChild(signature, NS.ds, 'SignedInfo');
  const sigValueEl = requiredChild(signature, NS.ds, 'SignatureValue');
  const siChildren = childElements(signedInfo);
  const [c14nEl, sigMethodEl, ...refs] = siChildren;
  if (
    c14nEl?.namespaceURI !== NS.ds ||
    c14nEl.localName !== 'CanonicalizationMethod' ||
    sigMethodEl?.namespaceURI !== NS.ds ||
    sigMethodEl.localName !== 'SignatureMethod'
  ) {
    throw structure(
      'SignedInfo is malformed.',
      'CanonicalizationMethod, SignatureMethod, Reference',
      siChildren.map((c) => c.localName).join(', ') || 'nothing',
    );
  }
  if (refs.length !== 1 || refs[0]!.namespaceURI !== NS.ds || refs[0]!.localName !== 'Reference') {
    throw new SamlError(
      'SIGNATURE_REFERENCE_INVALID',
      'The signature must have exactly one Reference.',
      {
        expected: 'one ds:Reference to the signed element (SAML core §5.4.2)',
        found: `${refs.length} elements after SignatureMethod`,
        hint: 'several References let a signature cover content other than what is read',
      },
    );
  }
  const reference = refs[0]!;

  // Algorithms (allowlists).
  const sigUri = attr(sigMethodEl, 'Algorithm') ?? '';
  if (/hmac/i.test(sigUri) || childElements(sigMethodEl).length > 0) {
    throw new SamlError('SIGNATURE_ALGORITHM_FORBIDDEN', 'HMAC signatures are never accepted.', {
      expected: 'an RSA or ECDSA signature by the IdP',
      found: describeValue(sigUri),
      hint: 'an HMAC key would have to be shared with the IdP; this is a forgery attempt or a misconfiguration',
    });
  }
  // xmldsig §6.1: SignatureMethod names its algorithm by URI; a short name is not a valid value.
  const algorithm = signatureAlgorithmByUri(sigUri);
  assertHashAllowed(algorithm.hash, algorithm.uri, allowSha1);
  const siC14n = readC14n(c14nEl, 'CanonicalizationMethod');

  // Reference: URI must name the element itself (SAML core §5.4.2).
  const id = attr(element, 'ID');
  const uri = attr(reference, 'URI');
  if (!id || uri !== `#${id}`) {
    throw new SamlError(
      'SIGNATURE_REFERENCE_INVALID',
      'The signature does not reference its parent element.',
      {
        expected: id ? `URI="#${id}"` : `an ID attribute on <${element.localName}>`,
        found: uri === undefined ? 'no URI' : `URI=${describeValue(uri)}`,
        hint: 'empty, xpointer or foreign references are refused (SAML core §5.4.2)',
      },
    );
  }
  const count = countId(element.ownerDocument, id);
  if (count !== 1) {
    throw new SamlError('SIGNATURE_DUPLICATE_ID', 'The signed ID occurs more than once.', {
      expected: `one element with ID ${describeValue(id)}`,
      found: `${count}`,
      hint: 'duplicate IDs are a signature-wrapping technique',
    });
  }

  // Transforms (SAML core §5.4.4).
  const transformsEl = childElements(reference, NS.ds, 'Transforms');
  const transforms = transformsEl.length === 1 ? childElements(transformsEl[0]!) : [];
  if (transformsEl.length > 1)
    throw structure('Reference has several Transforms.', 'one', `${transformsEl.length}`);
  const enveloped = transforms[0];
  if (
    enveloped?.localName !== 'Transform' ||
    attr(enveloped, 'Algorithm') !== ENVELOPED_SIGNATURE ||
    transforms.length > 2
  ) {
    throw new SamlError(
      'SIGNATURE_TRANSFORM_FORBIDDEN',
      'The Reference transforms are not allowed.',
      {
        expected: 'enveloped-signature, optionally followed by one canonicalization',
        found: transforms.map((t) => attr(t, 'Algorithm') ?? t.localName).join(', ') || 'none',
        hint: 'XPath, XSLT and other transforms can make a signature cover something else',
      },
    );
  }
  const refC14n = transforms[1]
    ? readC14n(transforms[1], 'Transform')
    : { exclusive: false, prefixes: [] as string[] }; // XML-DSig §4.3.3.2: node-set → inclusive C14N

  const digestEl = requiredChild(reference, NS.ds, 'DigestMethod');
  const digest = digestAlgorithm(attr(digestEl, 'Algorithm') ?? '');
  assertHashAllowed(digest.hash, digest.uri, allowSha1);
  const digestValue = fromBase64(
    textOf(requiredChild(reference, NS.ds, 'DigestValue')),
    'DigestValue',
  );

  const provider = resolveCrypto(options.crypto);

  // Authenticate first (W3C XML Signature Best Practices, BP 1): the SignatureValue over the
  // canonical SignedInfo, with the configured keys only. Only a SignedInfo the IdP signed gets to
  // have the referenced element transformed and canonicalized, the costly part an attacker
  // could otherwise make any sender pay for. XML-DSig §3.2 allows either order.
  const signedInfoCanonical = canonicalize(signedInfo, {
    exclusive: siC14n.exclusive,
    inclusivePrefixes: siC14n.prefixes,
  });
  const signatureValue = fromBase64(textOf(sigValueEl), 'SignatureValue');
  const key = await verifyBytes(utf8(signedInfoCanonical), signatureValue, algorithm.uri, {
    keys: options.keys,
    allowSha1,
    crypto: provider,
  });

  // Reference validation (XML-DSig §3.2.1): the digest of the element minus its signature.
  const canonical = canonicalize(element, {
    exclusive: refC14n.exclusive,
    inclusivePrefixes: refC14n.prefixes,
    exclude: signature,
  });
  const actual = new Uint8Array(await provider.subtle.digest(digest.hash, utf8(canonical)));
  if (!equalBytes(actual, digestValue)) {
    throw new SamlError(
      'SIGNATURE_DIGEST_MISMATCH',
      `The signed <${element.localName}> was modified.`,
      {
        expected: 'the digest in the signature to match the element content',
        found: 'a different digest',
        hint: 'the message was altered after signing (or re-encoded by a proxy)',
      },
    );
  }
  return { element, key, algorithm };
}

function readC14n(el: Element, what: string): { exclusive: boolean; prefixes: string[] } {
  const uri = attr(el, 'Algorithm');
  if (uri !== C14N.exclusive && uri !== C14N.inclusive) {
    throw new SamlError('SIGNATURE_TRANSFORM_FORBIDDEN', `The ${what} algorithm is not allowed.`, {
      expected: `${C14N.exclusive} or ${C14N.inclusive}`,
      found: describeValue(uri),
      hint: 'canonicalization "WithComments" lets comments change what is read; other algorithms are not used by SAML',
    });
  }
  const prefixes: string[] = [];
  const children = childElements(el);
  const inc = children[0];
  if (
    children.length > 1 ||
    (inc && (uri !== C14N.exclusive || !isElement(inc, NS.ec, 'InclusiveNamespaces')))
  ) {
    // exc-c14n §3: at most one InclusiveNamespaces parameter; Canonical XML takes none. Anything
    // else would be read one way here and another way by the signer.
    throw new SamlError('SIGNATURE_TRANSFORM_FORBIDDEN', `The ${what} has unexpected content.`, {
      expected: uri === C14N.exclusive ? 'at most one ec:InclusiveNamespaces' : 'no child elements',
      found: children.map((c) => c.nodeName).join(', '),
      hint: 'the signer added parameters this canonicalization does not define',
    });
  }
  const list = inc ? attr(inc, 'PrefixList') : undefined;
  if (list) {
    // PrefixList is xs:NMTOKENS (exc-c14n §3): tokens separated by XML whitespace (XML 1.0 §2.3
    // S: space, tab, CR, LF); not String.prototype.split(/\s+/), which also splits at U+00A0.
    const tokens = new Set(list.split(/[ \t\r\n]+/).filter(Boolean));
    if (tokens.size > MAX_INCLUSIVE_PREFIXES) {
      throw new SamlError(
        'SIGNATURE_TRANSFORM_FORBIDDEN',
        `The ${what} InclusiveNamespaces PrefixList is too long.`,
        {
          expected: `at most ${MAX_INCLUSIVE_PREFIXES} prefixes`,
          found: `${tokens.size}`,
          hint: 'real signers list a few prefixes (xs, xsi, #default); a long list only makes verification costlier',
        },
      );
    }
    prefixes.push(...tokens);
  }
  return { exclusive: uri === C14N.exclusive, prefixes };
}
