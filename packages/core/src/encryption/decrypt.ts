import type { PrivateKey } from '../crypto/keys.js';
import { importPrivateKey } from '../crypto/keys.js';
import { type CryptoProvider, resolveCrypto } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { concatBytes, fromBase64, fromUtf8 } from '../lib/bytes.js';
import { declareNamespaces, inScopeDeclarations } from '../lib/namespaces.js';
import {
  attr,
  childElements,
  DEFAULT_XML_LIMITS,
  escapeXml,
  isElement,
  NS,
  optionalChild,
  parseXml,
  requiredChild,
  resolveXmlLimits,
  textOf,
  type XmlLimits,
} from '../lib/xml.js';
import {
  type DataEncryptionAlgorithm,
  dataEncryptionAlgorithm,
  keyTransportParameters,
  type OaepParameters,
} from './algorithms.js';

/** Options for {@link decryptElement}. */
export interface DecryptOptions {
  /** The WebCrypto provider (default `globalThis.crypto`). */
  readonly crypto?: CryptoProvider;
  /** Size and depth limits for the decrypted XML (default {@link DEFAULT_XML_LIMITS}). */
  readonly limits?: XmlLimits;
}

const XENC_ELEMENT_TYPE = 'http://www.w3.org/2001/04/xmlenc#Element';
const XENC_ENCRYPTED_KEY_TYPE = 'http://www.w3.org/2001/04/xmlenc#EncryptedKey';
const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
/** At most this many EncryptedKeys are tried: each costs one RSA decryption per SP key. */
const MAX_ENCRYPTED_KEYS = 8;

/** What each SAML container may hold once decrypted (SAML core §2.2.4, §2.3.4, §2.7.3.2). */
const CONTENTS: Readonly<Record<string, readonly string[]>> = {
  EncryptedAssertion: ['Assertion'],
  EncryptedID: ['NameID', 'BaseID'],
  EncryptedAttribute: ['Attribute'],
};

/**
 * Decrypts a `saml:EncryptedAssertion`, `saml:EncryptedID` or `saml:EncryptedAttribute` with the
 * SP's private key(s) and returns the element inside, parsed safely in a document of its own.
 *
 * The content key is taken from an `xenc:EncryptedKey` inside `EncryptedData/ds:KeyInfo`, one
 * referenced from there by `ds:RetrievalMethod` or `ds:KeyName`/`xenc:CarriedKeyName`, or one that
 * is a sibling of `EncryptedData` in the container (SAML core §2.2.4 allows both placements).
 * Every configured key is tried on every EncryptedKey (at most 8), so an SP in the middle of a key
 * rollover keeps decrypting while the IdP still uses its old certificate.
 *
 * The plaintext is as hostile as any input: it is parsed with the same limits and DTD ban as a
 * whole message, with the container's in-scope namespace declarations carried over (XML-Enc
 * §4.3.3), and must be exactly one element of the kind the container may hold. Nothing decrypted
 * is trusted by this function: the caller verifies the returned element's signature and conditions
 * exactly as for a plaintext one.
 *
 * Key and padding failures share one message, so the error cannot serve as a padding oracle. With
 * AES-CBC, which is not authenticated, every way the plaintext can be wrong (padding, UTF-8,
 * well-formedness, limits, content) is reported the same way too: telling them apart is the
 * oracle of the 2011 attack on XML Encryption (Jager, Somorovsky).
 *
 * @param container - the `saml:Encrypted…` element
 * @param keys - the SP's RSA private keys, current one first (EC keys are skipped: they cannot do
 *   RSA-OAEP)
 * @param options - crypto provider and XML limits
 * @returns the decrypted element (`saml:Assertion`, `saml:NameID`/`BaseID` or `saml:Attribute`),
 *   the root of a new document
 * @throws SamlError `DECRYPTION_FAILED` (wrong key, tampered data, bad padding),
 *   `ENCRYPTION_ALGORITHM_UNSUPPORTED` (rsa-1_5, tripledes-cbc, mixed OAEP hashes, …),
 *   `XML_MISSING_ELEMENT` / `XML_UNEXPECTED_ELEMENT` / `XML_INVALID_VALUE` (malformed container),
 *   `KEY_ALGORITHM_UNSUPPORTED` (no RSA key configured), and with AES-GCM the XML codes of the
 *   plaintext (`XML_DOCTYPE_FORBIDDEN`, `XML_TOO_DEEP`, `XML_PARSE_ERROR`, …)
 * @throws TypeError when `container` is not an element or `keys` is empty
 *
 * @example Decrypting an assertion
 * ```ts
 * const spKeys = [loadPrivateKey(currentPem), loadPrivateKey(previousPem)];
 * const assertion = await decryptElement(encryptedAssertion, spKeys);
 * // now verify assertion's signature and conditions as for a plaintext one
 * ```
 *
 * @see SAML core §2.2.4 (EncryptedElementType), §6 (Confidentiality); XML Encryption 1.1 §3, §4.3
 */
export async function decryptElement(
  container: Element,
  keys: readonly PrivateKey[],
  options: DecryptOptions = {},
): Promise<Element> {
  if (container?.nodeType !== ELEMENT_NODE) {
    throw new TypeError('decryptElement: container must be a DOM Element');
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError('decryptElement: keys must be a non-empty array of PrivateKey');
  }
  const crypto = resolveCrypto(options.crypto);
  const allowed =
    container.namespaceURI === NS.saml && Object.hasOwn(CONTENTS, container.localName)
      ? CONTENTS[container.localName]
      : undefined;
  if (!allowed) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'Not an encrypted SAML element.', {
      expected: 'saml:EncryptedAssertion, saml:EncryptedID or saml:EncryptedAttribute',
      found: `<${container.nodeName}> (namespace ${container.namespaceURI ?? 'none'})`,
    });
  }
  const rsaKeys = keys.filter((k) => k.keyType === 'RSA');
  if (rsaKeys.length === 0) {
    throw new SamlError('KEY_ALGORITHM_UNSUPPORTED', 'No RSA key is configured for decryption.', {
      expected: 'at least one RSA SP private key (XML Encryption key transport is RSA-OAEP)',
      found: `${keys.length} EC key(s)`,
      hint: 'give the SP an RSA key pair for encryption and publish its certificate with use="encryption"',
    });
  }

  // SAML core §2.2.4: one xenc:EncryptedData, then zero or more xenc:EncryptedKey; nothing else
  // (a stray element here is only good for hiding something from one reader but not another).
  for (const child of childElements(container)) {
    if (!isElement(child, NS.xenc, 'EncryptedData') && !isElement(child, NS.xenc, 'EncryptedKey')) {
      throw new SamlError(
        'XML_UNEXPECTED_ELEMENT',
        `<${container.localName}> holds a stray element.`,
        {
          expected: 'one xenc:EncryptedData and any number of xenc:EncryptedKey (SAML core §2.2.4)',
          found: `<${child.nodeName}> (namespace ${child.namespaceURI ?? 'none'})`,
        },
      );
    }
  }
  const encryptedData = requiredChild(container, NS.xenc, 'EncryptedData');
  const type = attr(encryptedData, 'Type');
  if (type !== undefined && type !== XENC_ELEMENT_TYPE) {
    // SAML core §6.1: the encrypted content is always a whole element.
    throw new SamlError('XML_INVALID_VALUE', 'The EncryptedData is not an encrypted element.', {
      expected: `Type="${XENC_ELEMENT_TYPE}" (SAML core §6.1)`,
      found: describeValue(type),
    });
  }
  const algorithm = dataEncryptionAlgorithm(
    attr(optionalChild(encryptedData, NS.xenc, 'EncryptionMethod') ?? encryptedData, 'Algorithm'),
  );
  const cipherData = requiredChild(encryptedData, NS.xenc, 'CipherData');
  if (optionalChild(cipherData, NS.xenc, 'CipherReference')) {
    // XML-Enc §3.3.1: a CipherReference would make us fetch a URI named by the attacker.
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The EncryptedData refers to remote data.', {
      expected: 'xenc:CipherValue with the ciphertext inline',
      found: 'xenc:CipherReference',
      hint: 'SAML encrypted elements always carry their ciphertext inline',
    });
  }
  const ciphertext = fromBase64(
    textOf(requiredChild(cipherData, NS.xenc, 'CipherValue')),
    'The EncryptedData CipherValue',
  );

  const encryptedKeys = findEncryptedKeys(container, encryptedData);
  // Parse every key transport first: an unsupported algorithm is a configuration problem and is
  // reported as such, not hidden behind DECRYPTION_FAILED.
  const transports: Array<{ params: OaepParameters; wrapped: Uint8Array<ArrayBuffer> }> = [];
  let refusal: unknown;
  for (const ek of encryptedKeys) {
    try {
      const params = keyTransportParameters(optionalChild(ek, NS.xenc, 'EncryptionMethod'));
      const value = requiredChild(requiredChild(ek, NS.xenc, 'CipherData'), NS.xenc, 'CipherValue');
      transports.push({
        params,
        wrapped: fromBase64(textOf(value), 'The EncryptedKey CipherValue'),
      });
    } catch (err) {
      refusal ??= err;
    }
  }
  if (transports.length === 0) throw refusal;

  const contentKey = await unwrapContentKey(transports, rsaKeys, algorithm, crypto);
  let plaintext: Uint8Array;
  try {
    plaintext = await decryptContent(algorithm, contentKey, ciphertext, crypto);
  } catch {
    throw decryptionFailed();
  }
  try {
    return parseDecrypted(fromUtf8(plaintext), container, allowed, options.limits);
  } catch (err) {
    if (algorithm.mode === 'AES-CBC') throw decryptionFailed();
    throw err;
  }
}

/** The one error for every key, padding or (CBC) plaintext failure: never a padding oracle. */
function decryptionFailed(): SamlError {
  return new SamlError('DECRYPTION_FAILED', 'The encrypted element could not be decrypted.', {
    expected: 'data encrypted for one of the configured SP keys',
    found: 'a wrong key, tampered or corrupt data (these are deliberately not told apart)',
    hint: 'check that the IdP encrypts with the certificate of a key the SP has (during a key rollover configure both keys); otherwise the message was altered in transit',
  });
}

/**
 * The EncryptedKeys that may hold the content key, most specific first: inside
 * EncryptedData/ds:KeyInfo, referenced from there (RetrievalMethod, KeyName), or siblings of the
 * EncryptedData whose ReferenceList (if any) names it. References resolve only among the
 * container's own children, never elsewhere in the document.
 */
function findEncryptedKeys(container: Element, encryptedData: Element): Element[] {
  const siblings = childElements(container, NS.xenc, 'EncryptedKey');
  const found: Element[] = [];
  const add = (ek: Element): void => {
    if (!found.includes(ek)) found.push(ek);
  };
  const keyInfo = optionalChild(encryptedData, NS.ds, 'KeyInfo');
  let referenced = false;
  if (keyInfo) {
    for (const el of childElements(keyInfo)) {
      if (isElement(el, NS.xenc, 'EncryptedKey')) {
        add(el);
      } else if (isElement(el, NS.ds, 'RetrievalMethod')) {
        // XML-DSig §4.4.3, XML-Enc §3.5.1: Type names an EncryptedKey, URI is "#Id".
        referenced = true;
        const t = attr(el, 'Type');
        const uri = attr(el, 'URI') ?? '';
        if ((t === undefined || t === XENC_ENCRYPTED_KEY_TYPE) && uri.startsWith('#')) {
          const target = siblings.find((ek) => attr(ek, 'Id') === uri.slice(1));
          if (target) add(target);
        }
      } else if (isElement(el, NS.ds, 'KeyName')) {
        // XML-Enc §3.5.1: CarriedKeyName names the key an EncryptedKey carries.
        referenced = true;
        const name = el.textContent?.trim() ?? '';
        for (const ek of siblings) {
          const carried = optionalChild(ek, NS.xenc, 'CarriedKeyName');
          if (carried && carried.textContent?.trim() === name) add(ek);
        }
      }
    }
  }
  if (found.length === 0 && !referenced) {
    // No pointer at all: any sibling EncryptedKey that does not say it is for other data.
    const dataId = attr(encryptedData, 'Id');
    for (const ek of siblings) {
      const refs = optionalChild(ek, NS.xenc, 'ReferenceList');
      const uris = refs
        ? childElements(refs, NS.xenc, 'DataReference').map((r) => attr(r, 'URI'))
        : undefined;
      if (!uris || (dataId !== undefined && uris.includes(`#${dataId}`))) add(ek);
    }
  }
  if (found.length === 0) {
    throw new SamlError('XML_MISSING_ELEMENT', 'The encrypted element carries no usable key.', {
      expected:
        'an xenc:EncryptedKey in EncryptedData/ds:KeyInfo, or a sibling one it references (RetrievalMethod, KeyName/CarriedKeyName, ReferenceList)',
      found: referenced ? 'a reference that names no EncryptedKey in the container' : 'none',
      hint: 'a content key known in advance (a shared secret) is not supported: the IdP must encrypt the key with the SP certificate',
    });
  }
  if (found.length > MAX_ENCRYPTED_KEYS) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The encrypted element has too many keys.', {
      expected: `at most ${MAX_ENCRYPTED_KEYS} xenc:EncryptedKey`,
      found: `${found.length}`,
    });
  }
  return found;
}

/**
 * Tries every configured key on every EncryptedKey; the first RSA-OAEP decryption that yields a
 * key of the right length wins (an OAEP decryption with a wrong key fails its integrity check).
 */
async function unwrapContentKey(
  transports: ReadonlyArray<{ params: OaepParameters; wrapped: Uint8Array<ArrayBuffer> }>,
  keys: readonly PrivateKey[],
  algorithm: DataEncryptionAlgorithm,
  crypto: CryptoProvider,
): Promise<CryptoKey> {
  for (const { params, wrapped } of transports) {
    for (const key of keys) {
      let raw: ArrayBuffer;
      try {
        const cryptoKey = await importPrivateKey(
          key,
          { name: 'RSA-OAEP', hash: params.hash },
          crypto,
        );
        raw = await crypto.subtle.decrypt(
          params.label ? { name: 'RSA-OAEP', label: params.label } : { name: 'RSA-OAEP' },
          cryptoKey,
          wrapped,
        );
      } catch {
        continue;
      }
      if (raw.byteLength !== algorithm.keyLength) continue;
      const usages: KeyUsage[] =
        algorithm.mode === 'AES-CBC' ? ['encrypt', 'decrypt'] : ['decrypt'];
      try {
        return await crypto.subtle.importKey('raw', raw, { name: algorithm.mode }, false, usages);
      } catch {
        // AES-192 is missing in some browsers' WebCrypto.
        throw new SamlError(
          'ENCRYPTION_ALGORITHM_UNSUPPORTED',
          `This runtime's WebCrypto cannot use ${algorithm.name}.`,
          {
            expected: 'a content encryption algorithm the runtime supports',
            found: algorithm.uri,
            hint: 'configure the IdP to encrypt with AES-256-GCM or AES-256-CBC',
          },
        );
      }
    }
  }
  throw decryptionFailed();
}

/**
 * Decrypts the CipherValue octets.
 *
 * AES-GCM (XML-Enc 1.1 §5.2.4): IV(12) ‖ ciphertext ‖ tag(16).
 * AES-CBC (XML-Enc 1.1 §5.2.2): IV(16) ‖ ciphertext, padded as XML-Enc §5.2.1 says — the last
 * byte is the pad length, the other pad bytes are arbitrary, so it is not PKCS#7 and WebCrypto's
 * decrypt would refuse it. One block is appended that decrypts to a full PKCS#7 pad (the first
 * block of AES-CBC-encrypting sixteen 0x10 bytes chained on the last ciphertext block); WebCrypto
 * removes it and the XML-Enc pad is then stripped by its last byte.
 */
async function decryptContent(
  algorithm: DataEncryptionAlgorithm,
  key: CryptoKey,
  data: Uint8Array<ArrayBuffer>,
  crypto: CryptoProvider,
): Promise<Uint8Array> {
  const iv = data.slice(0, algorithm.ivLength);
  const body = data.slice(algorithm.ivLength);
  if (algorithm.mode === 'AES-GCM') {
    if (body.length < 16) throw new Error('too short');
    return new Uint8Array(
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv, tagLength: 128 }, key, body),
    );
  }
  if (body.length === 0 || body.length % 16 !== 0) throw new Error('not whole blocks');
  const lastBlock = body.slice(body.length - 16);
  const fullPad = new Uint8Array(16).fill(16);
  const extra = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-CBC', iv: lastBlock }, key, fullPad),
  ).slice(0, 16);
  const plain = new Uint8Array(
    await crypto.subtle.decrypt({ name: 'AES-CBC', iv }, key, concatBytes(body, extra)),
  );
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > 16 || pad > plain.length) throw new Error('bad padding');
  return plain.subarray(0, plain.length - pad);
}

/**
 * Parses the decrypted octets as an element in the context of `container` (XML-Enc §4.3.3:
 * the plaintext is a fragment that relies on the namespaces in scope where it was).
 */
function parseDecrypted(
  text: string,
  container: Element,
  allowed: readonly string[],
  limits: XmlLimits = {},
): Element {
  const maxSize = limits.maxSize ?? DEFAULT_XML_LIMITS.maxSize;
  const maxDepth = limits.maxDepth ?? DEFAULT_XML_LIMITS.maxDepth;
  if (text.length > maxSize) {
    throw new SamlError('XML_TOO_LARGE', 'The decrypted element is larger than the limit.', {
      expected: `at most ${maxSize} characters`,
      found: `${text.length} characters`,
    });
  }
  // An XML declaration may lead the serialization; it cannot appear inside the wrapper.
  const fragment = text.replace(/^\uFEFF?<\?xml\s[^?]*\?>/, '');
  const decls = inScopeDeclarations(container);
  let open = '<w';
  for (const [prefix, uri] of decls) {
    open += ` ${prefix === '' ? 'xmlns' : `xmlns:${prefix}`}="${escapeXml(uri)}"`;
  }
  // The wrapper adds one level, so the element itself gets the configured depth.
  // The wrapper's element and declarations are counted too: allow for exactly them.
  const resolved = resolveXmlLimits(limits);
  const doc = parseXml(`${open}>${fragment}</w>`, {
    ...resolved,
    maxSize: maxSize + open.length + 8,
    maxDepth: maxDepth + 1,
    maxNodes: resolved.maxNodes + decls.size + 1,
    maxNamespaceDeclarations: resolved.maxNamespaceDeclarations + decls.size,
  });
  const wrapper = doc.documentElement;
  let element: Element | undefined;
  for (let c = wrapper.firstChild; c; c = c.nextSibling) {
    const stray =
      c.nodeType === ELEMENT_NODE
        ? element !== undefined
        : c.nodeType !== TEXT_NODE || (c as Text).data.trim() !== '';
    if (stray) {
      throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The decrypted content is not one element.', {
        expected: 'exactly one element (XML-Enc Type="#Element")',
        found: c.nodeType === ELEMENT_NODE ? 'several elements' : `a node of type ${c.nodeType}`,
      });
    }
    if (c.nodeType === ELEMENT_NODE) element = c as Element;
  }
  if (!element) {
    throw new SamlError('XML_MISSING_ELEMENT', 'The decrypted content holds no element.', {
      expected: 'exactly one element',
      found: 'none',
    });
  }
  if (element.namespaceURI !== NS.saml || !allowed.includes(element.localName)) {
    throw new SamlError(
      'XML_UNEXPECTED_ELEMENT',
      `<${container.localName}> decrypted to the wrong element.`,
      {
        expected: allowed.map((n) => `saml:${n}`).join(' or '),
        found: `<${element.nodeName}> (namespace ${element.namespaceURI ?? 'none'})`,
      },
    );
  }
  // Make the element the root of its own document, keeping the declarations it relied on.
  declareNamespaces(element, decls);
  wrapper.removeChild(element);
  doc.replaceChild(element, wrapper);
  return element;
}
