import { DOMParser, XMLSerializer } from '@xmldom/xmldom';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

/** The eight XML Signature Wrapping placements (Somorovsky et al., "On Breaking SAML", 2012). */
export type XswVariant = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** Every {@link XswVariant}, for `it.each`. */
export const XSW_VARIANTS: readonly XswVariant[] = [1, 2, 3, 4, 5, 6, 7, 8];

/**
 * Parses XML, lets `edit` change the DOM, and serializes it again. For building malformed
 * variants of a signed message in tests (the signature is not recomputed).
 *
 * @param xml - the XML text
 * @param edit - a function that changes the document in place
 * @returns the edited XML
 * @example Changing a signed NameID
 * ```ts
 * const tampered = editXml(signed, (doc) => {
 *   doc.getElementsByTagNameNS(SAML_NS, 'NameID')[0]!.textContent = 'admin@example.com';
 * });
 * ```
 */
export function editXml(xml: string, edit: (doc: Document) => void): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
  edit(doc);
  return new XMLSerializer().serializeToString(doc as never);
}

function child(parent: Element, ns: string, local: string): Element | undefined {
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (
      c.nodeType === 1 &&
      (c as Element).namespaceURI === ns &&
      (c as Element).localName === local
    )
      return c as Element;
  }
  return undefined;
}

function withoutSignature(el: Element): Element {
  const copy = el.cloneNode(true) as Element;
  const sig = child(copy, DS, 'Signature');
  if (sig) copy.removeChild(sig);
  return copy;
}

function dsObject(doc: Document, content: Element): Element {
  const obj = doc.createElementNS(DS, 'ds:Object');
  obj.appendChild(content);
  return obj;
}

/**
 * Builds one of the eight XML Signature Wrapping variants of a signed Response: a forged copy
 * (changed by `tamper`) is placed where a vulnerable validator reads it, while the signed
 * original is moved where the signature still finds it by ID.
 *
 * Variants 1 and 2 need a signed Response (the forged copy is a whole Response); 3–8 need a
 * signed Assertion (the forged copy is an Assertion):
 * 1. forged Response as root, carrying the copied Signature, the original Response inside it
 *    (in a ds:Object);
 * 2. as 1, but the original Response is a sibling right before the copied Signature;
 * 3. forged Assertion (no signature) inserted before the signed original;
 * 4. forged Assertion replaces the original, which is nested inside it;
 * 5. forged Assertion keeps the copied Signature; the original, unsigned, is appended to the
 *    Response;
 * 6. forged Assertion keeps the copied Signature; the original (signed) is inside that Signature;
 * 7. forged Assertion (no signature) replaces the original, which moves to samlp:Extensions;
 * 8. forged Assertion keeps the copied Signature; the original, unsigned, is in a ds:Object in
 *    that Signature.
 *
 * @param signedXml - a Response signed as the variant requires
 * @param variant - 1 to 8
 * @param tamper - changes the forged copy (the Response for 1–2, the Assertion for 3–8)
 * @param forgedId - the ID of the forged copy (default `_forged`)
 * @returns the wrapped XML
 * @throws TypeError when the needed element or signature is absent
 * @example
 * ```ts
 * const attack = xswWrap(signed, 4, (a) => setNameId(a, 'admin@example.com'));
 * await expect(validateResponse(attack, options)).rejects.toThrow(SamlError);
 * ```
 * @see https://www.usenix.org/conference/usenixsecurity12/technical-sessions/presentation/somorovsky
 */
export function xswWrap(
  signedXml: string,
  variant: XswVariant,
  tamper: (forged: Element) => void,
  forgedId = '_forged',
): string {
  return editXml(signedXml, (doc) => {
    const root = doc.documentElement;
    if (variant === 1 || variant === 2) {
      const sig = child(root, DS, 'Signature');
      if (!sig) throw new TypeError(`xswWrap ${variant}: the Response is not signed`);
      const forged = root.cloneNode(true) as Element;
      forged.setAttribute('ID', forgedId);
      tamper(forged);
      const original = withoutSignature(root);
      const forgedSig = child(forged, DS, 'Signature')!;
      if (variant === 1) forgedSig.appendChild(dsObject(doc, original));
      else forged.insertBefore(original, forgedSig);
      doc.replaceChild(forged, root);
      return;
    }
    const assertion = child(root, SAML, 'Assertion');
    if (!assertion) throw new TypeError(`xswWrap ${variant}: the Response has no Assertion`);
    const signature = child(assertion, DS, 'Signature');
    if (!signature) throw new TypeError(`xswWrap ${variant}: the Assertion is not signed`);
    const keepsSignature = variant === 5 || variant === 6 || variant === 8;
    const forged = keepsSignature
      ? (assertion.cloneNode(true) as Element)
      : withoutSignature(assertion);
    forged.setAttribute('ID', forgedId);
    tamper(forged);
    switch (variant) {
      case 3:
        root.insertBefore(forged, assertion);
        break;
      case 4:
        root.replaceChild(forged, assertion);
        forged.appendChild(assertion);
        break;
      case 5:
        root.replaceChild(forged, assertion);
        root.appendChild(withoutSignature(assertion));
        break;
      case 6:
        root.replaceChild(forged, assertion);
        child(forged, DS, 'Signature')!.appendChild(assertion);
        break;
      case 7: {
        root.replaceChild(forged, assertion);
        const ext = doc.createElementNS(SAMLP, 'samlp:Extensions');
        ext.appendChild(assertion);
        const status = child(root, SAMLP, 'Status');
        root.insertBefore(ext, status ?? forged);
        break;
      }
      case 8:
        root.replaceChild(forged, assertion);
        child(forged, DS, 'Signature')!.appendChild(dsObject(doc, withoutSignature(assertion)));
        break;
    }
  });
}

/**
 * Sets the NameID text of the (first) NameID under `el` — the usual forgery in wrapping tests.
 *
 * @param el - a Response or Assertion element
 * @param value - the new NameID value
 * @example
 * ```ts
 * xswWrap(signed, 3, (a) => setNameId(a, 'admin@example.com'));
 * ```
 */
export function setNameId(el: Element, value: string): void {
  const nameId = el.getElementsByTagNameNS(SAML, 'NameID')[0];
  if (!nameId) throw new TypeError('setNameId: no NameID');
  while (nameId.firstChild) nameId.removeChild(nameId.firstChild);
  nameId.appendChild(nameId.ownerDocument!.createTextNode(value));
}
