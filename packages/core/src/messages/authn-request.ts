import { BINDINGS, type BindingName } from '../config.js';
import { describeValue, SamlError } from '../errors.js';
import { generateId } from '../lib/id.js';
import { stripUndefined } from '../lib/objects.js';
import {
  escapeXml,
  formatDateTime,
  hasNonXmlChar,
  NS,
  parseXml,
  serializeXml,
  type XmlLimits,
} from '../lib/xml.js';

export type {
  AssertionConsumerServiceChoice,
  AuthnContextComparison,
  AuthnRequest,
  AuthnRequestFields,
  AuthnRequestOptions,
  CreatedAuthnRequest,
  IdpEntry,
  IdpList,
  NameIdPolicy,
  RequestedAuthnContext,
  Scoping,
} from './authn-request-types.js';

import type {
  AuthnContextComparison,
  AuthnRequest,
  AuthnRequestOptions,
  CreatedAuthnRequest,
  IdpList,
  Scoping,
} from './authn-request-types.js';

/** @internal */
export const COMPARISONS: readonly AuthnContextComparison[] = [
  'exact',
  'minimum',
  'maximum',
  'better',
];
const SAML_NAMESPACES = new Set<string>([NS.samlp, NS.saml]);

function checkString(
  value: unknown,
  name: string,
  opts: { optional?: boolean; trimmed?: boolean } = {},
): void {
  if (value === undefined && opts.optional) return;
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`createAuthnRequest: ${name} must be a non-empty string`);
  }
  if (opts.trimmed && value.trim() !== value) {
    // Element content is read back trimmed; an entity ID or URI never has outer whitespace.
    throw new TypeError(`createAuthnRequest: ${name} must not start or end with whitespace`);
  }
  if (hasNonXmlChar(value)) {
    throw new TypeError(`createAuthnRequest: ${name} contains a character XML cannot carry`);
  }
}

function checkUrl(value: unknown, name: string): void {
  checkString(value, name);
  try {
    new URL(value as string);
  } catch {
    throw new TypeError(`createAuthnRequest: ${name} must be an absolute URL`);
  }
}

function bindingUri(value: string): string {
  // Own keys only: `constructor` or `toString` is no binding name.
  return Object.hasOwn(BINDINGS, value) ? BINDINGS[value as BindingName] : value;
}

function isNcName(value: string): boolean {
  // xs:ID is an NCName (SAML core §1.3.4); this ASCII subset is what samlkit generates and accepts.
  return /^[A-Za-z_][A-Za-z0-9._-]*$/.test(value);
}

function checkUnsignedShort(value: unknown, name: string): void {
  // xs:unsignedShort (XML Schema part 2 §3.3.23), the type of both index attributes (SAML core §3.4.1).
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new TypeError(`createAuthnRequest: ${name} must be an integer 0..65535`);
  }
}

/** Checks `<samlp:Scoping>` content against its schema (SAML core §3.4.1.2, §3.4.1.3). */
function checkScoping(scoping: Scoping): void {
  if (!scoping || typeof scoping !== 'object') {
    throw new TypeError('createAuthnRequest: scoping must be an object');
  }
  const { proxyCount, idpList, requesterIds } = scoping;
  if (
    proxyCount !== undefined &&
    (typeof proxyCount !== 'number' || !Number.isSafeInteger(proxyCount) || proxyCount < 0)
  ) {
    // ProxyCount is an xs:nonNegativeInteger (SAML core §3.4.1.2).
    throw new TypeError('createAuthnRequest: scoping.proxyCount must be a non-negative integer');
  }
  if (idpList !== undefined) {
    if (!idpList || !Array.isArray(idpList.entries) || idpList.entries.length === 0) {
      // IDPList holds one or more IDPEntry (SAML core §3.4.1.3).
      throw new TypeError('createAuthnRequest: scoping.idpList.entries needs at least one IdP');
    }
    idpList.entries.forEach((e, i) => {
      const at = `scoping.idpList.entries[${i}]`;
      if (!e || typeof e !== 'object')
        throw new TypeError(`createAuthnRequest: ${at} must be an object`);
      checkString(e.providerId, `${at}.providerId`, { trimmed: true });
      checkString(e.name, `${at}.name`, { optional: true });
      checkString(e.loc, `${at}.loc`, { optional: true, trimmed: true });
    });
    checkString(idpList.getComplete, 'scoping.idpList.getComplete', {
      optional: true,
      trimmed: true,
    });
  }
  if (requesterIds !== undefined) {
    if (!Array.isArray(requesterIds) || requesterIds.length === 0) {
      throw new TypeError('createAuthnRequest: scoping.requesterIds needs at least one entity ID');
    }
    requesterIds.forEach((r, i) => {
      checkString(r, `scoping.requesterIds[${i}]`, { trimmed: true });
    });
  }
}

/** The data form of a checked Scoping: only the parts given, arrays copied. */
function scopingData(scoping: Scoping): Scoping {
  return stripUndefined({
    proxyCount: scoping.proxyCount,
    idpList:
      scoping.idpList &&
      stripUndefined({
        entries: scoping.idpList.entries.map((e) =>
          stripUndefined({ providerId: e.providerId, name: e.name, loc: e.loc }),
        ) as unknown as IdpList['entries'],
        getComplete: scoping.idpList.getComplete,
      }),
    requesterIds: scoping.requesterIds && ([...scoping.requesterIds] as [string, ...string[]]),
  });
}

function normalizeNow(now: unknown): number {
  const ms = now instanceof Date ? now.getTime() : now;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError('createAuthnRequest: now must be a valid Date or epoch milliseconds');
  }
  return ms;
}

/**
 * Parses and checks a caller-supplied `<samlp:Extensions>` fragment and returns it serialized.
 * @throws SamlError XML_* codes when it is not well-formed or not namespace-qualified
 */
function normalizeExtensions(fragment: string, limits?: XmlLimits): string {
  const doc = parseXml(
    `<samlp:Extensions xmlns:samlp="${NS.samlp}">${fragment}</samlp:Extensions>`,
    limits,
  );
  return checkedExtensions(doc.documentElement);
}

/** The Extensions children, checked and serialized. @internal */
export function checkedExtensions(container: Element): string {
  let out = '';
  for (let c = container.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1) {
      const el = c as Element;
      // SAML core §3.2.1: extension elements MUST be namespace-qualified in a non-SAML namespace.
      if (!el.namespaceURI || SAML_NAMESPACES.has(el.namespaceURI)) {
        throw new SamlError(
          'XML_UNEXPECTED_ELEMENT',
          'An Extensions element is not namespace-qualified.',
          {
            expected:
              'elements in a namespace of their own (not SAML protocol or assertion; SAML core §3.2.1)',
            found: `<${el.nodeName}> in ${el.namespaceURI ? `namespace ${el.namespaceURI}` : 'no namespace'}`,
            hint: 'declare a namespace for each extension element, e.g. <ext:Hint xmlns:ext="urn:example">',
          },
        );
      }
      out += serializeXml(el);
    } else if (c.nodeType === 3 || c.nodeType === 4) {
      if ((c as CharacterData).data.trim() !== '') {
        throw new SamlError('XML_UNEXPECTED_ELEMENT', 'Extensions holds bare text.', {
          expected: 'only elements inside <samlp:Extensions>',
          found: describeValue((c as CharacterData).data),
        });
      }
    } else if (c.nodeType !== 8) {
      throw new SamlError('XML_UNEXPECTED_ELEMENT', 'Extensions holds unexpected markup.', {
        expected: 'only elements inside <samlp:Extensions>',
        found: `node of type ${c.nodeType}`,
      });
    }
  }
  if (out === '') {
    throw new SamlError('XML_MISSING_ELEMENT', 'Extensions is empty.', {
      expected: 'at least one extension element (SAML core §3.2.1)',
      found: 'none',
    });
  }
  return out;
}

/**
 * Builds an `<samlp:AuthnRequest>`: the message an SP sends to start SP-initiated login.
 *
 * Pure given `now` and the random source: the same options and random bytes give the same XML.
 * The result is unsigned; for the HTTP-Redirect binding the signature goes over the query string
 * ({@link encodeRedirect} with `sign`), for HTTP-POST sign the XML with `signXml` before
 * {@link renderPostForm}.
 *
 * @param options - the request fields, `now` and optionally the random source
 * @returns the ID (keep it for `InResponseTo`), the XML, the IssueInstant and the request as data
 * @throws TypeError when an option has the wrong type or an impossible value
 * @throws SamlError `XML_PARSE_ERROR`, `XML_DOCTYPE_FORBIDDEN`, `XML_UNEXPECTED_ELEMENT`,
 *   `XML_MISSING_ELEMENT` when `extensions` is not a well-formed, namespace-qualified fragment
 *
 * @example SP-initiated login with a step-up
 * ```ts
 * const { id, xml } = createAuthnRequest({
 *   issuer: 'https://app.example.com/saml/metadata',
 *   destination: 'https://idp.example.org/sso',
 *   assertionConsumerServiceUrl: 'https://app.example.com/saml/acs',
 *   protocolBinding: 'post',
 *   forceAuthn: true,
 *   now: new Date(),
 * });
 * ```
 *
 * @see SAML 2.0 core §3.4.1 (AuthnRequest), profiles §4.1.4.1
 */
export function createAuthnRequest(options: AuthnRequestOptions): CreatedAuthnRequest {
  if (!options || typeof options !== 'object') {
    throw new TypeError('createAuthnRequest: options must be an object');
  }
  const o = options;
  const issueInstant = normalizeNow(o.now);
  const id = o.id ?? generateId(o.crypto);
  if (typeof id !== 'string' || !isNcName(id)) {
    throw new TypeError('createAuthnRequest: id must be an xs:ID (start with a letter or _)');
  }
  checkString(o.issuer, 'issuer', { trimmed: true });
  if (o.destination !== undefined) checkUrl(o.destination, 'destination');
  if (
    o.assertionConsumerServiceUrl !== undefined &&
    o.assertionConsumerServiceIndex !== undefined
  ) {
    throw new TypeError(
      'createAuthnRequest: assertionConsumerServiceUrl and assertionConsumerServiceIndex are exclusive',
    );
  }
  if (o.assertionConsumerServiceUrl !== undefined) {
    checkUrl(o.assertionConsumerServiceUrl, 'assertionConsumerServiceUrl');
  }
  if (o.assertionConsumerServiceIndex !== undefined) {
    checkUnsignedShort(o.assertionConsumerServiceIndex, 'assertionConsumerServiceIndex');
    if (o.protocolBinding !== undefined) {
      throw new TypeError(
        'createAuthnRequest: protocolBinding cannot be combined with assertionConsumerServiceIndex',
      );
    }
  }
  const protocolBinding =
    o.protocolBinding === undefined ? undefined : bindingUri(o.protocolBinding);
  if (protocolBinding !== undefined) checkString(protocolBinding, 'protocolBinding');
  for (const key of ['forceAuthn', 'isPassive'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') {
      throw new TypeError(`createAuthnRequest: ${key} must be a boolean`);
    }
  }
  checkString(o.providerName, 'providerName', { optional: true });
  if (o.attributeConsumingServiceIndex !== undefined) {
    checkUnsignedShort(o.attributeConsumingServiceIndex, 'attributeConsumingServiceIndex');
  }
  if (o.scoping !== undefined) checkScoping(o.scoping);
  const policy = o.nameIdPolicy;
  if (policy !== undefined) {
    checkString(policy.format, 'nameIdPolicy.format', { optional: true });
    checkString(policy.spNameQualifier, 'nameIdPolicy.spNameQualifier', { optional: true });
    if (policy.allowCreate !== undefined && typeof policy.allowCreate !== 'boolean') {
      throw new TypeError('createAuthnRequest: nameIdPolicy.allowCreate must be a boolean');
    }
  }
  const rac = o.requestedAuthnContext;
  if (rac !== undefined) {
    if (!Array.isArray(rac.classRefs) || rac.classRefs.length === 0) {
      throw new TypeError(
        'createAuthnRequest: requestedAuthnContext.classRefs needs at least one URI',
      );
    }
    rac.classRefs.forEach((ref, i) => {
      checkString(ref, `requestedAuthnContext.classRefs[${i}]`, { trimmed: true });
    });
    if (rac.comparison !== undefined && !COMPARISONS.includes(rac.comparison)) {
      throw new TypeError(
        `createAuthnRequest: comparison must be one of ${COMPARISONS.join(', ')}`,
      );
    }
  }
  let extensions: string | undefined;
  if (o.extensions !== undefined) {
    if (typeof o.extensions !== 'string') {
      throw new TypeError('createAuthnRequest: extensions must be an XML string');
    }
    extensions = normalizeExtensions(o.extensions);
  }

  const a = (name: string, value: string | number | boolean | undefined) =>
    value === undefined ? '' : ` ${name}="${escapeXml(String(value))}"`;
  // Attribute and child order follow the schema of SAML core §3.2.1 and §3.4.1.
  let xml =
    `<samlp:AuthnRequest xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}"` +
    a('ID', id) +
    a('Version', '2.0') +
    a('IssueInstant', formatDateTime(issueInstant)) +
    a('Destination', o.destination) +
    a('ForceAuthn', o.forceAuthn) +
    a('IsPassive', o.isPassive) +
    a('ProtocolBinding', protocolBinding) +
    a('AssertionConsumerServiceIndex', o.assertionConsumerServiceIndex) +
    a('AssertionConsumerServiceURL', o.assertionConsumerServiceUrl) +
    a('AttributeConsumingServiceIndex', o.attributeConsumingServiceIndex) +
    a('ProviderName', o.providerName) +
    '>' +
    `<saml:Issuer>${escapeXml(o.issuer)}</saml:Issuer>`;
  if (extensions !== undefined) xml += `<samlp:Extensions>${extensions}</samlp:Extensions>`;
  if (policy !== undefined) {
    xml +=
      '<samlp:NameIDPolicy' +
      a('Format', policy.format) +
      a('SPNameQualifier', policy.spNameQualifier) +
      a('AllowCreate', policy.allowCreate) +
      '/>';
  }
  if (rac !== undefined) {
    xml += `<samlp:RequestedAuthnContext${a('Comparison', rac.comparison)}>`;
    for (const ref of rac.classRefs) {
      xml += `<saml:AuthnContextClassRef>${escapeXml(ref)}</saml:AuthnContextClassRef>`;
    }
    xml += '</samlp:RequestedAuthnContext>';
  }
  const sc = o.scoping;
  if (sc !== undefined) {
    // SAML core §3.4.1.2: <Scoping ProxyCount?> <IDPList>? <RequesterID>* </Scoping>.
    xml += `<samlp:Scoping${a('ProxyCount', sc.proxyCount)}>`;
    if (sc.idpList !== undefined) {
      // SAML core §3.4.1.3: <IDPList> <IDPEntry>+ <GetComplete>? </IDPList>.
      xml += '<samlp:IDPList>';
      for (const e of sc.idpList.entries) {
        xml += `<samlp:IDPEntry${a('ProviderID', e.providerId)}${a('Name', e.name)}${a('Loc', e.loc)}/>`;
      }
      if (sc.idpList.getComplete !== undefined) {
        xml += `<samlp:GetComplete>${escapeXml(sc.idpList.getComplete)}</samlp:GetComplete>`;
      }
      xml += '</samlp:IDPList>';
    }
    for (const r of sc.requesterIds ?? []) {
      xml += `<samlp:RequesterID>${escapeXml(r)}</samlp:RequesterID>`;
    }
    xml += '</samlp:Scoping>';
  }
  xml += '</samlp:AuthnRequest>';

  const request: AuthnRequest = stripUndefined({
    id,
    issueInstant,
    issuer: o.issuer,
    destination: o.destination,
    assertionConsumerServiceUrl: o.assertionConsumerServiceUrl,
    assertionConsumerServiceIndex: o.assertionConsumerServiceIndex,
    protocolBinding,
    forceAuthn: o.forceAuthn,
    isPassive: o.isPassive,
    providerName: o.providerName,
    attributeConsumingServiceIndex: o.attributeConsumingServiceIndex,
    nameIdPolicy: policy && stripUndefined({ ...policy }),
    requestedAuthnContext:
      rac &&
      stripUndefined({
        comparison: rac.comparison,
        classRefs: [...rac.classRefs] as [string, ...string[]],
      }),
    extensions,
    scoping: sc && scopingData(sc),
  });
  return { id, xml, issueInstant, request };
}
