import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import xpath from 'xpath';
import {
  DIGEST_ALGORITHMS,
  type SignatureAlgorithmName,
  signatureAlgorithm,
} from '../crypto/algorithms.js';
import { importPrivateKey, type PrivateKey, parsePem } from '../crypto/keys.js';
import { type CryptoProvider, resolveCrypto } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { toBase64 } from '../lib/bytes.js';
import { childElements, NS, parseXml, serializeXml, walkElements } from '../lib/xml.js';
import { defaultSignatureAlgorithm } from './raw.js';
import { C14N } from './verify.js';

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
  /** The WebCrypto provider (default `globalThis.crypto`). */
  readonly crypto?: CryptoProvider;
}

type SigningStack = {
  readonly Application: typeof import('xmldsigjs').Application;
  readonly SignedXml: typeof import('xmldsigjs').SignedXml;
};

let signingStack: Promise<SigningStack> | undefined;

/**
 * Loads xmldsigjs (and xml-core, with its ASN.1 dependencies) on the first signature only. An SP
 * that only verifies never pays for them: they are about half of what importing core costs in
 * memory, and verification runs on samlkit's own canonicalizer.
 */
function loadSigningStack(): Promise<SigningStack> {
  signingStack ??= Promise.all([import('xml-core'), import('xmldsigjs')]).then(
    ([xmlCore, xmldsig]) => {
      // xml-core needs a DOM implementation outside browsers; samlkit always uses @xmldom/xmldom.
      xmlCore.setNodeDependencies({ DOMParser, XMLSerializer, xpath } as never);
      return { Application: xmldsig.Application, SignedXml: xmldsig.SignedXml };
    },
    (error: unknown) => {
      signingStack = undefined; // a failed load is tried again on the next signature
      throw error;
    },
  );
  return signingStack;
}

// xmldsigjs takes its WebCrypto from one process-wide setting. Signatures on the same provider
// share it freely; one on another provider waits until those in flight are done, so a key made by
// one implementation is never handed to another mid-signature.
let engine: CryptoProvider | undefined;
let inFlight = 0;
let waiting: Array<() => void> = [];

async function withEngine<T>(
  application: SigningStack['Application'],
  provider: CryptoProvider,
  run: () => Promise<T>,
): Promise<T> {
  while (inFlight > 0 && engine !== provider) {
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  if (engine !== provider) {
    application.setEngine('WebCrypto', provider as Crypto);
    engine = provider;
  }
  inFlight++;
  try {
    return await run();
  } finally {
    inFlight--;
    if (inFlight === 0) {
      const wake = waiting;
      waiting = [];
      for (const resolve of wake) resolve();
    }
  }
}

function certificateBase64(cert: string | Uint8Array): string {
  if (cert instanceof Uint8Array) return toBase64(cert);
  const block = parsePem(cert).find((b) => b.label === 'CERTIFICATE');
  if (block) return toBase64(block.der);
  return cert.replace(/\s+/g, '');
}

/**
 * Signs `element` in place with an enveloped XML signature (SAML core §5.4): exclusive
 * canonicalization, one Reference to `#<ID>`, the enveloped-signature and exc-c14n transforms.
 * The `ds:Signature` is placed right after the element's `saml:Issuer` child, as the SAML schema
 * requires (or first when there is no Issuer).
 *
 * The signature is produced by xmldsigjs on WebCrypto.
 *
 * @param element - the element to sign; it must have an `ID` attribute
 * @param options - key, certificate, algorithms
 * @throws SamlError `SIGNATURE_STRUCTURE_INVALID` when the element has no ID or is signed already
 * @see SAML core §5.4; XML-DSig core §3.1
 * @example
 * ```ts
 * await signElement(assertion, { key: spKey, certificate: spCertPem });
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
  const cryptoKey = await importPrivateKey(
    options.key,
    alg.keyType === 'EC'
      ? { name: 'ECDSA', hash: alg.hash }
      : { name: 'RSASSA-PKCS1-v1_5', hash: alg.hash },
    provider,
  );

  const { Application, SignedXml } = await loadSigningStack();

  const doc = element.ownerDocument;
  const signed = new SignedXml(doc as never);
  signed.XmlSignature.SignedInfo.CanonicalizationMethod.Algorithm = C14N.exclusive;
  const params =
    alg.keyType === 'EC' ? { name: 'ECDSA', hash: alg.hash } : { name: 'RSASSA-PKCS1-v1_5' };
  await withEngine(Application, provider, () =>
    signed.Sign(params as never, cryptoKey, doc as never, {
      references: [{ uri: `#${id}`, hash: digest.hash, transforms: ['enveloped', 'exc-c14n'] }],
      ...(options.certificate ? { x509: [certificateBase64(options.certificate)] } : {}),
    }),
  );
  // xml-core builds the signature with the host's own DOM where there is one (browsers have a
  // global DOMParser) and with @xmldom/xmldom elsewhere. A host DOM node cannot be imported into
  // an xmldom document, so it comes across as text, through the same safe parser as any input.
  const produced = signed.GetXml() as unknown as Node;
  const host = globalThis as unknown as {
    DOMParser?: unknown;
    XMLSerializer?: new () => { serializeToString(node: unknown): string };
  };
  const signatureEl =
    typeof host.DOMParser === 'function' && host.XMLSerializer
      ? doc.importNode(
          parseXml(new host.XMLSerializer().serializeToString(produced)).documentElement,
          true,
        )
      : doc.importNode(produced, true);
  const issuer = childElements(element, NS.saml, 'Issuer')[0];
  element.insertBefore(signatureEl, issuer ? issuer.nextSibling : element.firstChild);
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
  return serializeXml(doc);
}
