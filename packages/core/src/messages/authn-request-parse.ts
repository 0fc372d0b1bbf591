// Reading an AuthnRequest back into data (SAML core §3.4.1): the inverse of createAuthnRequest.
import { describeValue, SamlError } from '../errors.js';
import { stripUndefined } from '../lib/objects.js';
import {
  attr,
  childElements,
  isElement,
  NS,
  optionalChild,
  parseDateTime,
  parseXml,
  requiredAttr,
  requiredChild,
  textOf,
  type XmlLimits,
} from '../lib/xml.js';
import {
  type AuthnContextComparison,
  type AuthnRequest,
  COMPARISONS,
  checkedExtensions,
  type IdpEntry,
  type IdpList,
  type NameIdPolicy,
  type RequestedAuthnContext,
  type Scoping,
} from './authn-request.js';

function parseIndex(el: Element, name: string): number | undefined {
  const text = attr(el, name);
  if (text === undefined) return undefined;
  // xs:unsignedShort (XML Schema part 2 §3.3.23), the type of both index attributes (SAML core §3.4.1).
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new SamlError('XML_INVALID_VALUE', `${name} is not an index.`, {
      expected: 'an xs:unsignedShort',
      found: describeValue(text),
    });
  }
  return Number(text);
}

function nonEmptyText(el: Element, what: string): string {
  const value = textOf(el).trim();
  if (value === '') {
    throw new SamlError('XML_MISSING_ELEMENT', `${what} is empty.`, {
      expected: 'a URI (SAML core §3.4.1.2)',
      found: 'an empty element',
    });
  }
  return value;
}

/** Reads `<samlp:Scoping>` (SAML core §3.4.1.2, §3.4.1.3). */
function parseScoping(el: Element): Scoping {
  const pcText = attr(el, 'ProxyCount');
  let proxyCount: number | undefined;
  if (pcText !== undefined) {
    // xs:nonNegativeInteger (SAML core §3.4.1.2); beyond 2^53 it cannot be a count that matters.
    if (!/^\d{1,15}$/.test(pcText)) {
      throw new SamlError('XML_INVALID_VALUE', 'Scoping ProxyCount is not a count.', {
        expected: 'a non-negative integer',
        found: describeValue(pcText),
      });
    }
    proxyCount = Number(pcText);
  }
  let idpList: IdpList | undefined;
  const listEl = optionalChild(el, NS.samlp, 'IDPList');
  if (listEl) {
    const entries: IdpEntry[] = childElements(listEl, NS.samlp, 'IDPEntry').map((e) =>
      stripUndefined({
        providerId: requiredAttr(e, 'ProviderID'),
        name: attr(e, 'Name'),
        loc: attr(e, 'Loc'),
      }),
    );
    if (entries.length === 0) {
      throw new SamlError('XML_MISSING_ELEMENT', 'IDPList has no IDPEntry.', {
        expected: 'one or more <samlp:IDPEntry> (SAML core §3.4.1.3)',
        found: 'none',
      });
    }
    const gc = optionalChild(listEl, NS.samlp, 'GetComplete');
    idpList = stripUndefined({
      entries: entries as [IdpEntry, ...IdpEntry[]],
      getComplete: gc ? nonEmptyText(gc, 'GetComplete') : undefined,
    });
  }
  const requesterIds = childElements(el, NS.samlp, 'RequesterID').map((r) =>
    nonEmptyText(r, 'RequesterID'),
  );
  return stripUndefined({
    proxyCount,
    idpList,
    requesterIds: requesterIds.length ? (requesterIds as [string, ...string[]]) : undefined,
  });
}

function parseBoolean(el: Element, name: string): boolean | undefined {
  const v = attr(el, name);
  if (v === undefined) return undefined;
  // xs:boolean lexical space (XML Schema part 2 §3.2.2.1)
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new SamlError('XML_INVALID_VALUE', `${name} is not a boolean.`, {
    expected: 'true, false, 1 or 0',
    found: describeValue(v),
  });
}

/**
 * Reads an `<samlp:AuthnRequest>` into data: the inverse of {@link createAuthnRequest}. It checks
 * structure only (root element, Version, ID, IssueInstant, Issuer); it does not verify a
 * signature — for the Redirect binding use {@link verifyRedirectSignature} on the decoded query.
 *
 * @param xml - the request XML (already decoded from its binding)
 * @param limits - XML size and depth limits
 * @returns the request as data
 * @throws SamlError `XML_PARSE_ERROR`, `XML_DOCTYPE_FORBIDDEN`, `XML_TOO_LARGE`, `XML_TOO_DEEP`,
 *   `XML_UNEXPECTED_ELEMENT` (wrong root), `XML_MISSING_ELEMENT`, `XML_INVALID_VALUE`,
 *   `MESSAGE_VERSION_UNSUPPORTED`
 *
 * @example Reading a request taken from a browser trace
 * ```ts
 * const { xml } = await decodeRedirect(url);
 * const request = parseAuthnRequest(xml);
 * console.log(request.id, request.assertionConsumerServiceUrl);
 * ```
 *
 * @see SAML 2.0 core §3.4.1
 */
export function parseAuthnRequest(xml: string, limits?: XmlLimits): AuthnRequest {
  if (typeof xml !== 'string') throw new TypeError('parseAuthnRequest: xml must be a string');
  const root = parseXml(xml, limits).documentElement;
  if (!isElement(root, NS.samlp, 'AuthnRequest')) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The message is not an AuthnRequest.', {
      expected: `<samlp:AuthnRequest> (namespace ${NS.samlp})`,
      found: `<${root.nodeName}> in ${root.namespaceURI ?? 'no namespace'}`,
    });
  }
  const version = requiredAttr(root, 'Version');
  if (version !== '2.0') {
    // SAML core §3.2.2.1 / §4.1.2: a 2.0 responder refuses other versions.
    throw new SamlError('MESSAGE_VERSION_UNSUPPORTED', 'The AuthnRequest is not SAML 2.0.', {
      expected: 'Version="2.0"',
      found: describeValue(version),
    });
  }
  const id = requiredAttr(root, 'ID');
  const issueInstant = parseDateTime(requiredAttr(root, 'IssueInstant'), 'IssueInstant');
  const issuer = textOf(requiredChild(root, NS.saml, 'Issuer')).trim();
  if (issuer === '') {
    throw new SamlError('XML_MISSING_ELEMENT', 'The AuthnRequest Issuer is empty.', {
      expected: 'the SP entity ID in <saml:Issuer> (SAML profiles §4.1.4.1)',
      found: 'an empty element',
    });
  }
  const acsIndex = parseIndex(root, 'AssertionConsumerServiceIndex');
  const acsUrl = attr(root, 'AssertionConsumerServiceURL');
  const protocolBinding = attr(root, 'ProtocolBinding');
  if (acsIndex !== undefined && (acsUrl !== undefined || protocolBinding !== undefined)) {
    // SAML core §3.4.1: the index is mutually exclusive with the URL and ProtocolBinding.
    throw new SamlError('XML_INVALID_VALUE', 'The AuthnRequest names its ACS twice.', {
      expected: 'AssertionConsumerServiceIndex, or AssertionConsumerServiceURL/ProtocolBinding',
      found: 'both',
    });
  }

  let extensions: string | undefined;
  const ext = optionalChild(root, NS.samlp, 'Extensions');
  if (ext) extensions = checkedExtensions(ext);

  let nameIdPolicy: NameIdPolicy | undefined;
  const nip = optionalChild(root, NS.samlp, 'NameIDPolicy');
  if (nip) {
    nameIdPolicy = stripUndefined({
      format: attr(nip, 'Format'),
      spNameQualifier: attr(nip, 'SPNameQualifier'),
      allowCreate: parseBoolean(nip, 'AllowCreate'),
    });
  }

  let requestedAuthnContext: RequestedAuthnContext | undefined;
  const racEl = optionalChild(root, NS.samlp, 'RequestedAuthnContext');
  if (racEl) {
    const comparison = attr(racEl, 'Comparison');
    if (comparison !== undefined && !COMPARISONS.includes(comparison as AuthnContextComparison)) {
      throw new SamlError('XML_INVALID_VALUE', 'RequestedAuthnContext Comparison is unknown.', {
        expected: COMPARISONS.join(', '),
        found: describeValue(comparison),
      });
    }
    const refs = childElements(racEl, NS.saml, 'AuthnContextClassRef').map((e) => textOf(e).trim());
    if (refs.length === 0) {
      throw new SamlError('XML_MISSING_ELEMENT', 'RequestedAuthnContext has no class reference.', {
        expected:
          'one or more <saml:AuthnContextClassRef> (this library does not request DeclRefs)',
        found: 'none',
      });
    }
    requestedAuthnContext = stripUndefined({
      comparison: comparison as AuthnContextComparison | undefined,
      classRefs: refs as [string, ...string[]],
    });
  }

  const scopingEl = optionalChild(root, NS.samlp, 'Scoping');
  return stripUndefined({
    id,
    issueInstant,
    issuer,
    destination: attr(root, 'Destination'),
    assertionConsumerServiceUrl: acsUrl,
    assertionConsumerServiceIndex: acsIndex,
    protocolBinding,
    forceAuthn: parseBoolean(root, 'ForceAuthn'),
    isPassive: parseBoolean(root, 'IsPassive'),
    providerName: attr(root, 'ProviderName'),
    nameIdPolicy,
    requestedAuthnContext,
    extensions,
    attributeConsumingServiceIndex: parseIndex(root, 'AttributeConsumingServiceIndex'),
    scoping: scopingEl ? parseScoping(scopingEl) : undefined,
  } as AuthnRequest);
}
