import { importPublicKey, type PublicKey } from '../crypto/keys.js';
import { type CryptoProvider, resolveCrypto } from '../crypto/provider.js';
import { SamlError } from '../errors.js';
import { concatBytes, toBase64, utf8 } from '../lib/bytes.js';
import { generateId } from '../lib/id.js';
import { declareNamespaces, inScopeDeclarations } from '../lib/namespaces.js';
import { NS, serializeXml } from '../lib/xml.js';
import {
  type DataEncryptionAlgorithmName,
  dataEncryptionAlgorithmByName,
  type KeyTransportAlgorithmName,
  keyTransportDescription,
  type MgfName,
  type OaepDigestName,
} from './algorithms.js';

/** Where the `xenc:EncryptedKey` goes (SAML core §2.2.4 allows both; IdPs do each). */
export type EncryptedKeyPlacement =
  /** Inside `EncryptedData/ds:KeyInfo` (ADFS, Shibboleth, Keycloak, SimpleSAMLphp). */
  | 'keyinfo'
  /** A sibling of `EncryptedData`, pointed to by `ds:RetrievalMethod` (Okta). */
  | 'retrieval-method'
  /** A sibling of `EncryptedData`, named by `ds:KeyName` = `xenc:CarriedKeyName`. */
  | 'key-name';

/** Options for {@link encryptElement}. */
export interface EncryptOptions {
  /** The content encryption algorithm. Prefer `aes256-gcm` (authenticated). */
  readonly dataAlgorithm: DataEncryptionAlgorithmName;
  /** The key transport: `rsa-oaep-mgf1p` (XML-Enc 1.0, SHA-1) or `rsa-oaep` (XML-Enc 1.1). */
  readonly keyTransport: KeyTransportAlgorithmName;
  /**
   * The OAEP digest. `rsa-oaep-mgf1p` allows only `sha1` (its default); `rsa-oaep` defaults to
   * `sha256`. Written out as `ds:DigestMethod` whenever given.
   */
  readonly digest?: OaepDigestName;
  /** `rsa-oaep` only: the MGF1 hash, which must match `digest` (WebCrypto uses one hash). */
  readonly mgf?: MgfName;
  /** An OAEP label, written as `xenc:OAEPparams`. Rarely used; for interoperability tests. */
  readonly oaepLabel?: Uint8Array;
  /** Where the EncryptedKey goes. Default `keyinfo`. */
  readonly keyPlacement?: EncryptedKeyPlacement;
  /** The WebCrypto provider and random source (default `globalThis.crypto`). */
  readonly crypto?: CryptoProvider;
}

const CONTAINERS: Readonly<Record<string, string>> = {
  Assertion: 'EncryptedAssertion',
  NameID: 'EncryptedID',
  BaseID: 'EncryptedID',
  Attribute: 'EncryptedAttribute',
};

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/**
 * Encrypts a `saml:Assertion`, `saml:NameID`/`BaseID` or `saml:Attribute` for a recipient's RSA
 * public key and returns the `saml:EncryptedAssertion` / `EncryptedID` / `EncryptedAttribute`
 * holding it. When `element` is attached to a parent, the container takes its place there.
 *
 * A fresh content key is drawn for every call; the element is serialized with every namespace
 * declaration in scope at its position (so QName values such as `xsi:type="xs:string"` keep their
 * meaning) and encrypted whole (XML-Enc `Type="#Element"`). Sign the element before encrypting it.
 *
 * @param element - the element to encrypt
 * @param recipient - the recipient's RSA public key (its certificate, if any, goes in KeyInfo)
 * @param options - algorithms and key placement
 * @returns the new container element, in `element`'s document
 * @throws SamlError `KEY_ALGORITHM_UNSUPPORTED` (not an RSA key), `ENCRYPTION_ALGORITHM_UNSUPPORTED`
 *   (an OAEP digest/MGF pair WebCrypto cannot do, or AES-192 in a browser)
 * @throws TypeError for an element that SAML does not encrypt, or unknown option values
 *
 * @example Encrypting the assertion of a Response for the SP
 * ```ts
 * const assertion = doc.getElementsByTagNameNS(SAML_NS, 'Assertion')[0];
 * await encryptElement(assertion, loadPublicKey(spCertPem), {
 *   dataAlgorithm: 'aes256-gcm',
 *   keyTransport: 'rsa-oaep-mgf1p',
 * });
 * ```
 *
 * @see SAML core §2.2.4, §6; XML Encryption 1.1 §3, §5.2, §5.5
 */
export async function encryptElement(
  element: Element,
  recipient: PublicKey,
  options: EncryptOptions,
): Promise<Element> {
  if (element?.nodeType !== 1) {
    throw new TypeError('encryptElement: element must be a DOM Element');
  }
  const containerName =
    element.namespaceURI === NS.saml && Object.hasOwn(CONTAINERS, element.localName)
      ? CONTAINERS[element.localName]
      : undefined;
  if (!containerName) {
    throw new TypeError(
      `encryptElement: SAML encrypts saml:Assertion, NameID, BaseID or Attribute, not <${element.nodeName}>`,
    );
  }
  if (recipient?.kind !== 'public') {
    throw new TypeError('encryptElement: recipient must be a PublicKey (see loadPublicKey)');
  }
  if (recipient.keyType !== 'RSA') {
    throw new SamlError('KEY_ALGORITHM_UNSUPPORTED', 'Encryption needs an RSA recipient key.', {
      expected: 'an RSA public key (XML Encryption key transport is RSA-OAEP)',
      found: `an ${recipient.keyType} key`,
    });
  }
  const data = dataEncryptionAlgorithmByName(options.dataAlgorithm);
  if (!data) throw new TypeError(`encryptElement: unknown dataAlgorithm ${options.dataAlgorithm}`);
  const transport = keyTransportDescription(options.keyTransport, options.digest, options.mgf);
  const placement = options.keyPlacement ?? 'keyinfo';
  if (!['keyinfo', 'retrieval-method', 'key-name'].includes(placement)) {
    throw new TypeError(`encryptElement: unknown keyPlacement ${placement}`);
  }
  const crypto = resolveCrypto(options.crypto);

  // The plaintext: the element with the namespaces it relies on (XML-Enc §4.3.3).
  const copy = element.cloneNode(true) as Element;
  declareNamespaces(copy, inScopeDeclarations(element));
  const plaintext = utf8(serializePreservingCr(copy));

  const cek = crypto.getRandomValues(new Uint8Array(data.keyLength));
  const iv = crypto.getRandomValues(new Uint8Array(data.ivLength));
  let aesKey: CryptoKey;
  try {
    aesKey = await crypto.subtle.importKey('raw', cek, { name: data.mode }, false, ['encrypt']);
  } catch (cause) {
    throw new SamlError(
      'ENCRYPTION_ALGORITHM_UNSUPPORTED',
      `This runtime's WebCrypto cannot use ${data.name}.`,
      { expected: 'an algorithm the runtime supports', found: data.uri, cause },
    );
  }
  // AES-CBC: WebCrypto's PKCS#7 pad is a valid XML-Enc pad (XML-Enc §5.2.1: last byte = length).
  // AES-GCM: WebCrypto appends the 128-bit tag, giving IV ‖ ciphertext ‖ tag (XML-Enc §5.2.4).
  const encrypted = new Uint8Array(
    await crypto.subtle.encrypt(
      data.mode === 'AES-GCM' ? { name: 'AES-GCM', iv, tagLength: 128 } : { name: 'AES-CBC', iv },
      aesKey,
      plaintext,
    ),
  );
  const rsaKey = await importPublicKey(
    recipient,
    { name: 'RSA-OAEP', hash: transport.hash },
    crypto,
  );
  const label = options.oaepLabel ? new Uint8Array(options.oaepLabel) : undefined;
  const wrapped = new Uint8Array(
    await crypto.subtle.encrypt(
      label ? { name: 'RSA-OAEP', label } : { name: 'RSA-OAEP' },
      rsaKey,
      cek,
    ),
  );

  const doc = element.ownerDocument;
  const el = (ns: string, qname: string, attrs: Record<string, string> = {}, text?: string) => {
    const e = doc.createElementNS(ns, qname);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.appendChild(doc.createTextNode(text));
    return e;
  };
  const declare = (e: Element, prefix: string, uri: string) =>
    e.setAttributeNS(XMLNS_NS, `xmlns:${prefix}`, uri);

  const dataId = generateId(crypto);
  const keyId = generateId(crypto);
  const keyName = placement === 'key-name' ? generateId(crypto) : undefined;

  // xenc:EncryptedKey (XML-Enc §3.5.1): EncryptionMethod, ds:KeyInfo?, CipherData,
  // ReferenceList?, CarriedKeyName?
  const encryptedKey = el(NS.xenc, 'xenc:EncryptedKey', { Id: keyId });
  declare(encryptedKey, 'xenc', NS.xenc);
  const keyMethod = el(NS.xenc, 'xenc:EncryptionMethod', { Algorithm: transport.uri });
  // XML-Enc §5.5.2 schema order: OAEPparams, then ds:DigestMethod, then xenc11:MGF.
  if (label) keyMethod.appendChild(el(NS.xenc, 'xenc:OAEPparams', {}, toBase64(label)));
  if (transport.digestUri) {
    const dm = el(NS.ds, 'ds:DigestMethod', { Algorithm: transport.digestUri });
    declare(dm, 'ds', NS.ds);
    keyMethod.appendChild(dm);
  }
  if (transport.mgfUri) {
    const mgf = el(NS.xenc11, 'xenc11:MGF', { Algorithm: transport.mgfUri });
    declare(mgf, 'xenc11', NS.xenc11);
    keyMethod.appendChild(mgf);
  }
  encryptedKey.appendChild(keyMethod);
  if (recipient.certificate) {
    const ki = el(NS.ds, 'ds:KeyInfo');
    declare(ki, 'ds', NS.ds);
    const x509 = el(NS.ds, 'ds:X509Data');
    x509.appendChild(el(NS.ds, 'ds:X509Certificate', {}, toBase64(recipient.certificate.der)));
    ki.appendChild(x509);
    encryptedKey.appendChild(ki);
  }
  encryptedKey.appendChild(cipherData(el, toBase64(wrapped)));
  if (placement !== 'keyinfo') {
    const refs = el(NS.xenc, 'xenc:ReferenceList');
    refs.appendChild(el(NS.xenc, 'xenc:DataReference', { URI: `#${dataId}` }));
    encryptedKey.appendChild(refs);
  }
  if (keyName) encryptedKey.appendChild(el(NS.xenc, 'xenc:CarriedKeyName', {}, keyName));

  // xenc:EncryptedData (XML-Enc §3.4): EncryptionMethod, ds:KeyInfo, CipherData.
  const encryptedData = el(NS.xenc, 'xenc:EncryptedData', {
    Id: dataId,
    Type: 'http://www.w3.org/2001/04/xmlenc#Element',
  });
  declare(encryptedData, 'xenc', NS.xenc);
  encryptedData.appendChild(el(NS.xenc, 'xenc:EncryptionMethod', { Algorithm: data.uri }));
  const keyInfo = el(NS.ds, 'ds:KeyInfo');
  declare(keyInfo, 'ds', NS.ds);
  if (placement === 'keyinfo') {
    keyInfo.appendChild(encryptedKey);
  } else if (placement === 'retrieval-method') {
    keyInfo.appendChild(
      el(NS.ds, 'ds:RetrievalMethod', {
        Type: 'http://www.w3.org/2001/04/xmlenc#EncryptedKey',
        URI: `#${keyId}`,
      }),
    );
  } else {
    keyInfo.appendChild(el(NS.ds, 'ds:KeyName', {}, keyName));
  }
  encryptedData.appendChild(keyInfo);
  encryptedData.appendChild(cipherData(el, toBase64(concatBytes(iv, encrypted))));

  // SAML core §2.2.4: EncryptedData, then the EncryptedKeys.
  const prefix = element.prefix;
  const container = doc.createElementNS(
    NS.saml,
    prefix ? `${prefix}:${containerName}` : containerName,
  );
  if (prefix) declare(container, prefix, NS.saml);
  else container.setAttributeNS(XMLNS_NS, 'xmlns', NS.saml);
  container.appendChild(encryptedData);
  if (placement !== 'keyinfo') container.appendChild(encryptedKey);
  element.parentNode?.replaceChild(container, element);
  return container;
}

function cipherData(
  el: (ns: string, qname: string, attrs?: Record<string, string>, text?: string) => Element,
  value: string,
): Element {
  const cd = el(NS.xenc, 'xenc:CipherData');
  cd.appendChild(el(NS.xenc, 'xenc:CipherValue', {}, value));
  return cd;
}

/**
 * Serializes so that parsing gives back the same characters. The serializer writes a carriage
 * return in text literally, and a parser turns it into a line feed (XML 1.0 §2.11), which would
 * change what a signature over the element covers. CDATA sections become text (the same to
 * c14n), and every literal CR outside comments and processing instructions becomes `&#13;`;
 * attribute values are already escaped, and `<` is always escaped in text, so a comment or PI
 * opener in the output is real markup.
 */
function serializePreservingCr(el: Element): string {
  const doc = el.ownerDocument;
  const stack: Node[] = [el];
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 4) {
        const text = doc.createTextNode((c as CharacterData).data);
        n.replaceChild(text, c);
        c = text;
      } else if (c.nodeType === 1) {
        stack.push(c);
      }
    }
  }
  return serializeXml(el).replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>|\r/g, (m) =>
    m === '\r' ? '&#13;' : m,
  );
}
